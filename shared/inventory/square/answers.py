"""Square's answers: a handler's Square body as JSON, and the Square dialect, through which
Routes sends every refusal on a Square route (a missing key, an unknown route, a method the path
does not take, invalid input, contention) in Square's error shape and statuses."""
from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Response

from ..domain.errors import DomainError
from ..http.call import Call
from ..http.dialect import Dialect
from ..http.render import json_response
from .errors import square_errors, square_status

ERROR = {"type": "object", "required": ["category", "code"],
         "properties": {"category": {"type": "string"}, "code": {"type": "string"},
                        "detail": {"type": "string"}, "field": {"type": "string"}}}
# Square's ErrorResponse: {"errors": [{"category", "code", "detail", "field"}]}
ERRORS_SCHEMA = {"type": "object", "required": ["errors"],
                 "properties": {"errors": {"type": "array", "minItems": 1, "items": ERROR}}}


def _refusal(refusal: DomainError, request: Any, request_id: str) -> Response:
    status, body = square_errors(refusal)
    return json_response(body, status)


SQUARE = Dialect("square", _refusal, lambda refusal: square_status(refusal)[0], ERRORS_SCHEMA)


def square_route(handler: Callable[[Call], Any]) -> Callable[[Call], Response]:
    """Wrap a handler returning a Square body (a dict) to answer it as JSON."""
    @functools.wraps(handler)
    def answer(call: Call) -> Response:
        return json_response(handler(call))
    return answer
