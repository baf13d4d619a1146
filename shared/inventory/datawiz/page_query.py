"""The query parameters a GET of the collection reads, for the OpenAPI document. The handler reads
them as Django REST Framework does: an unknown `ordering` or a bad `page_size` falls back to the
default, a `page` past the end or not a number is 404 {"detail": "Invalid page."}."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PageQuery(BaseModel):
    format: Literal["json", "api"] | None = Field(None, description="json (default) or api: the browsable HTML page")
    page: int | None = Field(None, ge=1, description="the page number, from 1")
    page_size: int | None = Field(None, ge=1, le=1000, description="rows per page (default 50, at most 1000)")
    cursor: str | None = Field(None, description="where the page starts: the keyset cursor a `next` link carries")
    search: str | None = Field(None, description="only rows whose product_id contains this text")
    ordering: Literal["identifier", "-identifier", "name", "-name"] | None = Field(
        None, description="identifier: date, shop, product; name: product, shop, date; - reverses")
