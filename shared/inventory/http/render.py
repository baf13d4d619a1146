"""Response documents: `{"data": …}`, lists with pagination, and mutation outcomes."""
from __future__ import annotations

from typing import Any, Sequence

from flask import Response
from pydantic import BaseModel

from ..domain import wire
from ..service.idempotency import Outcome
from ..service.ports import Page, Slice


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(wire.dumps(body), status=status, headers=headers or {},
                    mimetype="application/json")


def etag(version: int) -> str:
    return f'"{version}"'


def one(record: BaseModel, exclude: set[str] | None = None) -> Response:
    headers = {}
    version = getattr(record, "version", None)
    if isinstance(version, int):
        headers["ETag"] = etag(version)
    return json_response({"data": record.model_dump(exclude=exclude)}, headers=headers)


def listing(records: Sequence[BaseModel], exclude: set[str] | None = None) -> Response:
    return json_response({"data": [r.model_dump(exclude=exclude) for r in records]})


def page(result: Page, page_number: int | None, limit: int) -> Response:
    """A list page; `page_number` is None when the page was asked for by cursor."""
    return json_response({"data": [r.model_dump() for r in result.items],
                          "pagination": {"page": page_number, "limit": limit,
                                         "total": result.total, "next_cursor": result.next_cursor,
                                         "has_more": result.next_cursor is not None}})


def cursor_slice(result: Slice, limit: int, exclude: set[str] | None = None) -> Response:
    return json_response({"data": [r.model_dump(exclude=exclude) for r in result.items],
                          "pagination": {"limit": limit, "next_cursor": result.next_cursor,
                                         "has_more": result.next_cursor is not None}})


def outcome(result: Outcome) -> Response:
    headers = {}
    data = result.body.get("data")
    if isinstance(data, dict) and isinstance(data.get("version"), int):
        headers["ETag"] = etag(data["version"])
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(result.body, result.status, headers)
