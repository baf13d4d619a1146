"""Response documents: `{"data": …}`, lists with pagination, and the replies to writes."""
from __future__ import annotations

from typing import Any, Sequence

from flask import Response
from pydantic import BaseModel

from ..domain import wire
from ..service.ports import Page, Slice
from ..service.unit_of_work import Outcome
from .views import View


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(wire.dumps(body), status=status, headers=headers or {},
                    mimetype="application/json")


def etag(version: int) -> str:
    return f'"{version}"'


def one(view: View, record: BaseModel) -> Response:
    headers = {}
    version = getattr(record, "version", None)
    if isinstance(version, int):
        headers["ETag"] = etag(version)
    return json_response({"data": view.show(record)}, headers=headers)


def listing(view: View, records: Sequence[BaseModel]) -> Response:
    return json_response({"data": view.show_all(records)})


def page(view: View, result: Page, page_number: int | None, limit: int) -> Response:
    """A list page; `page_number` is None when the page was asked for by cursor."""
    return json_response({"data": view.show_all(result.items),
                          "pagination": {"page": page_number, "limit": limit,
                                         "total": result.total, "next_cursor": result.next_cursor,
                                         "has_more": result.next_cursor is not None}})


def cursor_slice(view: View, result: Slice, limit: int) -> Response:
    return json_response({"data": view.show_all(result.items),
                          "pagination": cursor_pagination(result.next_cursor, limit)})


def cursor_pagination(next_cursor: str | None, limit: int) -> dict[str, Any]:
    return {"limit": limit, "next_cursor": next_cursor, "has_more": next_cursor is not None}


def outcome(result: Outcome) -> Response:
    """A write's reply, as rendered for it or, on a retry with the same key, as first sent."""
    headers = {}
    body = result.reply.body
    data = body.get("data")
    if isinstance(data, dict) and isinstance(data.get("version"), int):
        headers["ETag"] = etag(data["version"])
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(body, result.reply.status, headers)
