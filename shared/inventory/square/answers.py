"""A Square route's handler: authenticates inside, and sends every refusal in Square's shape."""
from __future__ import annotations

import functools
from typing import Any, Callable

from flask import Response

from ..domain.errors import DomainError
from ..http.call import Call
from ..http.render import json_response
from .errors import square_errors


def square_route(handler: Callable[[Call], Any]) -> Callable[[Call], Response]:
    """Wrap a handler returning a Square body (a dict) so that auth and refusals answer as Square."""
    @functools.wraps(handler)
    def answer(call: Call) -> Response:
        try:
            call.actor  # Bearer API key and the route's scope, refused as Square refuses
            return json_response(handler(call))
        except DomainError as refusal:
            status, body = square_errors(refusal)
            return json_response(body, status)
    return answer
