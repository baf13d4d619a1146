"""Routing a function's requests by method and path template, with auth, CORS, errors and logs.

A function declares its routes; the same templates are in serverless.yaml, which the local
server and the API Gateway config read (a test keeps them equal).
"""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import flask
from flask import Response
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException

from .. import bootstrap
from ..domain.codes import Scope
from ..domain.errors import Contention, DomainError, MethodNotAllowed, NotFound
from . import request_log, server_refusals
from .call import Call
from .errors import envelope, status_of
from .paths import compile_template
from .render import json_response

Handler = Callable[[Call], Response]
CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match"


def allowed_methods(declared: set[str]) -> list[str]:
    """What a path takes, for `Allow`: its routes' methods, HEAD wherever GET is, and OPTIONS."""
    if not declared:
        return []
    return sorted(declared | {"OPTIONS"} | ({"HEAD"} if "GET" in declared else set()))


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    scope: Scope | None
    handler: Handler
    # What the OpenAPI document says of the route (inventory.http.openapi reads these).
    summary: str = ""
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | str | None = None  # the success body's model, or its description
    status: int = 200
    media_type: str | tuple[str, ...] = "application/json"
    errors: tuple[int, ...] = ()  # refusals beyond those the route's shape implies
    public: bool = False          # served without an API key (the API's own documentation)
    # A dialect's refusals in its own shape (a JSON schema) instead of the error envelope; its
    # handlers then check the key themselves and `errors` lists the statuses they send.
    refusal_schema: dict[str, Any] | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        return compile_template(self.template)


class Routes:
    """The routes of one function; `dispatch` is what its functions-framework entry point calls."""

    def __init__(self, function: str):
        self.function = function
        self.routes: list[Route] = []
        # Loaded by functions-framework while it sets up its Flask app (not during a request,
        # as when the OpenAPI generator imports every function).
        if flask.has_app_context() and not flask.has_request_context():
            flask.current_app.register_error_handler(HTTPException, self._framework_refusal)
            server_refusals.install_in_gunicorn()  # what gunicorn refuses before Flask sees it

    def add(self, method: str, template: str, scope: Scope | None,
            **described: Any) -> Callable[[Handler], Handler]:
        """Register a handler; `described` is its OpenAPI metadata (summary, query, body, response, status…)."""
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, template, scope, handler, **described))
            return handler
        return register

    def get(self, template: str, scope: Scope | None = Scope.INVENTORY_READ, **described: Any):
        return self.add("GET", template, scope, **described)

    def post(self, template: str, scope: Scope | None = Scope.INVENTORY_WRITE, **described: Any):
        return self.add("POST", template, scope, **described)

    def patch(self, template: str, scope: Scope | None = Scope.INVENTORY_WRITE, **described: Any):
        return self.add("PATCH", template, scope, **described)

    def put(self, template: str, scope: Scope | None = Scope.INVENTORY_WRITE, **described: Any):
        return self.add("PUT", template, scope, **described)

    def delete(self, template: str, scope: Scope | None = Scope.INVENTORY_WRITE, **described: Any):
        return self.add("DELETE", template, scope, **described)

    def _match(self, path: str) -> list[tuple[Route, dict[str, str]]]:
        found = []
        for route in self.routes:
            match = route.pattern.match(path)
            if match:
                found.append((route, match.groupdict()))
        # A literal segment beats a parameter (/inventory/snapshot before /inventory/{id}).
        found.sort(key=lambda pair: len(pair[1]))
        return found

    def dispatch(self, request: Any) -> Response:
        started = time.perf_counter()
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        call: Call | None = None
        error_code = None
        matches = self._match(request.path)
        allowed = allowed_methods({route.method for route, _ in matches})
        # HEAD is GET without the body (RFC 9110 9.3.2): the GET route answers it, and the WSGI
        # response leaves the body out of a HEAD answer, keeping GET's headers.
        method = "GET" if request.method == "HEAD" else request.method
        try:
            if not matches:
                raise NotFound(f"no route for {request.path}", code="route_not_found")
            if request.method == "OPTIONS":
                response = Response(status=204, headers={"Allow": ", ".join(allowed)})
            else:
                chosen = next(((r, p) for r, p in matches if r.method == method), None)
                if chosen is None:
                    raise MethodNotAllowed(f"{request.method} is not allowed here; use {', '.join(allowed)}",
                                           code="method_not_allowed")
                route, params = chosen
                call = Call(request, params, route.scope)
                if not route.public:
                    call.actor  # authenticate before reading anything else
                response = route.handler(call)
        except DomainError as refusal:
            error_code = refusal.code
            response = json_response(envelope(refusal.code, refusal.message, request_id, refusal.fields),
                                     status_of(refusal))
            if isinstance(refusal, MethodNotAllowed):
                response.headers["Allow"] = ", ".join(allowed)
            if isinstance(refusal, Contention):
                response.headers["Retry-After"] = str(refusal.retry_after_s)
        except Exception as crash:  # the one place a bug becomes a 500, logged with its stack
            request_log.log_exception(self.function, request_id, crash)
            error_code = "internal_error"
            response = json_response(envelope("internal_error", "an unexpected error occurred; "
                                              "it has been logged", request_id), 500)
        self._decorate(response, request_id)
        organization = call.__dict__.get("actor") if call is not None else None
        request_log.log_request(
            function=self.function, method=request.method, url=request.url,
            status=response.status_code, latency_s=time.perf_counter() - started,
            request_id=request_id,
            organization_id=organization.organization_id if organization else None,
            user_agent=request.headers.get("User-Agent"), remote_ip=request.remote_addr,
            trace_header=request.headers.get("X-Cloud-Trace-Context"), error_code=error_code)
        return response

    def _framework_refusal(self, refusal: HTTPException) -> Response:
        """What Flask refuses before `dispatch` runs (a path its URL rules cannot read, such as one
        with a newline) in the error envelope too, not as an HTML page."""
        request_id = flask.request.headers.get("X-Request-Id") or uuid.uuid4().hex
        status = refusal.code or 400
        code = {404: "route_not_found", 405: "method_not_allowed"}.get(status, "bad_request")
        response = json_response(envelope(code, "no route for this path" if status == 404
                                          else refusal.name.lower(), request_id), status)
        self._decorate(response, request_id)
        return response

    def _decorate(self, response: Response, request_id: str) -> None:
        origin = bootstrap.settings().cors_origin
        response.headers["X-Request-Id"] = request_id
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Expose-Headers"] = "ETag, Idempotent-Replayed, X-Request-Id"
        response.headers["Access-Control-Max-Age"] = "600"
