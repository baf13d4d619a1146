"""A dialect's way of refusing: every refusal on one of its routes — a missing key, an unknown
route, a method the path does not take, invalid input, contention — answered in its own shape
and status mapping. Routes (http/routes.py) renders refusals through its function's dialect; the
OpenAPI document describes them from the same object."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Response

from ..domain.errors import DomainError
from .errors import refusal_envelope, status_of
from .render import json_response


@dataclass(frozen=True)
class Dialect:
    name: str
    # A refusal as this dialect answers it: (refusal, request, request id) -> response.
    render: Callable[[DomainError, Any, str], Response]
    # The status it answers a refusal with (the OpenAPI document maps the native statuses by it).
    status_of: Callable[[DomainError], int]
    # The JSON schema of its refusal body; None: the native error envelope.
    refusal_schema: dict[str, Any] | None = None
    # The media types its refusals come in (Datawiz's also as an HTML page).
    media_types: tuple[str, ...] = ("application/json",)


def _native(refusal: DomainError, request: Any, request_id: str) -> Response:
    return json_response(refusal_envelope(refusal, request_id), status_of(refusal))


NATIVE = Dialect("native", _native, status_of)
