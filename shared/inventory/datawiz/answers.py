"""How Datawiz's collection answers: as JSON (`.json`, `?format=json`) or as the browsable HTML
page (`.api`, `?format=api`), with `Allow`; and the Datawiz dialect, through which Routes sends
every refusal on its routes as Django REST Framework does — field errors `{"field": ["…"]}` with
400, anything else `{"detail": "…"}` — in the format asked for."""
from __future__ import annotations

from typing import Any

from flask import Response

from ..domain.errors import DomainError
from ..http.dialect import Dialect
from ..http.errors import status_of
from ..http.matching import allowed_methods, match
from ..route_table import route_table
from . import render

ALLOW = ", ".join(allowed_methods({"GET", "POST"}))  # the collection's
ROW_ALLOW = ", ".join(allowed_methods({"GET"}))  # a row is read-only: rows are posted to the collection
# DRF's refusal bodies: {"detail": "…"}, {"field": ["…"]}, or a list of those for a list of rows.
REFUSAL_SCHEMA = {"type": ["object", "array"]}


def format_of(request: Any) -> str:
    """The format asked for: `?format=` first, then the path's `.api` or `.json`, else JSON."""
    path = request.path.rstrip("/")
    chosen = "api" if path.endswith(".api") else "json" if path.endswith(".json") else None
    return request.args.get("format", chosen or "json")


def answer(request: Any, body: Any, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """An answer in the format asked for, with `Allow`: what the path takes (the collection's
    methods, or a row's), as the route table says."""
    allow = ", ".join(match(route_table(), request.method, request.path).allowed)
    if format_of(request) == "api":
        return render.browsable(body, status, allow, request.full_path.rstrip("?"))
    return render.json_answer(body, status, {**({"Allow": allow} if allow else {}), **(headers or {})})


def _refusal(refusal: DomainError, request: Any, request_id: str) -> Response:
    status = status_of(refusal)
    if refusal.fields and status == 400:
        detail: dict[str, list[str]] = {}
        for field in refusal.fields:
            detail.setdefault(field.field, []).append(field.message)
        return answer(request, detail, 400)
    return answer(request, {"detail": refusal.message}, status)


DATAWIZ = Dialect("datawiz", _refusal, status_of, REFUSAL_SCHEMA, ("application/json", "text/html"))
