"""Serving a function's routes, with auth, CORS, errors and logs.

The routes (method, path template, operation) are declared in serverless.yaml only; a function
names the handler for each of its operations, with what the OpenAPI document says of it, and
dispatches by the same matcher as the gateway (matching.py).
"""
from __future__ import annotations

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
from ..domain.errors import Contention, DomainError, NotFound
from ..route_table import HttpRoute, route_table
from . import request_log, server_refusals
from .call import Call
from .dialect import NATIVE, Dialect
from .errors import BadRequest, InternalError, MethodNotAllowed
from .matching import match

Handler = Callable[[Call], Response]
CORS_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match"
BY_METHOD: Any = object()  # the default scope: reading for GET, writing for the other methods


@dataclass(frozen=True)
class Route:
    http: HttpRoute  # method, template and operation, as serverless.yaml declares them
    scope: Scope | None
    handler: Handler
    # What the OpenAPI document says of the route (inventory.http.openapi reads these).
    summary: str = ""
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: str | None = None  # the success body: the name of its model in http/responses.py
    description: str = ""        # or, for a body no model describes, what it is
    status: int = 200            # the success status, which the route's replies are sent with
    media_type: str | tuple[str, ...] = "application/json"
    errors: tuple[int, ...] = ()  # refusals beyond those the route's shape implies
    public: bool = False          # served without an API key (the API's own documentation)
    dialect: Dialect = NATIVE     # whose shape and statuses its refusals come in (its function's)

    @property
    def method(self) -> str:
        return self.http.method

    @property
    def template(self) -> str:
        return self.http.path


class Routes:
    """The routes of one function; `dispatch` is what its functions-framework entry point calls."""

    def __init__(self, function: str, dialect: Dialect = NATIVE):
        self.function = function
        self.dialect = dialect  # every refusal of these routes, and a crash, in its shape
        self.routes: list[Route] = []
        self._declared = {route.operation: route for route in route_table()
                          if route.function == function}
        # Loaded by functions-framework while it sets up its Flask app (not during a request,
        # as when the OpenAPI generator imports every function).
        if flask.has_app_context() and not flask.has_request_context():
            flask.current_app.register_error_handler(HTTPException, self._framework_refusal)
            server_refusals.install_in_gunicorn()  # what gunicorn refuses before Flask sees it

    def template_of(self, operation: str) -> str:
        """The path template serverless.yaml routes to one of this function's operations."""
        return self._declared[operation].path

    def operation(self, scope: Scope | None = BY_METHOD,
                  **described: Any) -> Callable[[Handler], Handler]:
        """Register the handler of the operation serverless.yaml names after it; `scope` is what
        the key needs (by default reading for GET, writing otherwise), `described` its OpenAPI
        metadata (summary, query, body, response, status…)."""
        def register(handler: Handler) -> Handler:
            declared = self._declared.get(handler.__name__)
            if declared is None:
                raise LookupError(f"serverless.yaml routes no request to {self.function}'s "
                                  f"operation {handler.__name__}")
            needed = scope
            if needed is BY_METHOD:
                needed = Scope.INVENTORY_READ if declared.method == "GET" else Scope.INVENTORY_WRITE
            self.routes.append(Route(declared, needed, handler, dialect=self.dialect, **described))
            return handler
        return register

    def dispatch(self, request: Any) -> Response:
        started = time.perf_counter()
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        call: Call | None = None
        error_code = None
        # HEAD is GET without the body (RFC 9110 9.3.2): the GET route answers it, and the WSGI
        # response leaves the body out of a HEAD answer, keeping GET's headers. `Allow` names what
        # the path takes from every function: a gateway may send any method of a path here.
        found = match([route.http for route in self.routes], request.method, request.path)
        allowed = match(route_table(), request.method, request.path).allowed
        try:
            if not allowed:
                raise NotFound(f"no route for {request.path}", code="route_not_found")
            if request.method == "OPTIONS":
                response = Response(status=204, headers={"Allow": ", ".join(allowed)})
            else:
                if found.route is None:
                    raise MethodNotAllowed(f"{request.method} is not allowed here; use {', '.join(allowed)}",
                                           code="method_not_allowed")
                route = next(r for r in self.routes if r.http is found.route)
                call = Call(request, found.params, route)
                if not route.public:
                    call.actor  # authenticate before reading anything else
                response = route.handler(call)
        except DomainError as refusal:
            error_code = refusal.code
            response = self._refusal(refusal, request, request_id, allowed)
        except Exception as crash:  # the one place a bug becomes a 500, logged with its stack
            request_log.log_exception(self.function, request_id, crash)
            error_code = "internal_error"
            response = self._refusal(InternalError("an unexpected error occurred; it has been logged"),
                                     request, request_id, allowed)
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

    def _refusal(self, refusal: DomainError, request: Any, request_id: str,
                 allowed: list[str]) -> Response:
        """A refusal in the dialect's shape and status, with the headers HTTP gives it."""
        response = self.dialect.render(refusal, request, request_id)
        if isinstance(refusal, MethodNotAllowed):
            response.headers["Allow"] = ", ".join(allowed)
        if isinstance(refusal, Contention):
            response.headers["Retry-After"] = str(refusal.retry_after_s)
        return response

    def _framework_refusal(self, refusal: HTTPException) -> Response:
        """What Flask refuses before `dispatch` runs (a path its URL rules cannot read, such as one
        with a newline) in the dialect's shape too, not as an HTML page."""
        request = flask.request
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        status = refusal.code or 400
        if status == 404:
            found: DomainError = NotFound("no route for this path", code="route_not_found")
        elif status == 405:
            found = MethodNotAllowed(refusal.name.lower(), code="method_not_allowed")
        else:
            found = BadRequest(refusal.name.lower(), code="bad_request")
        response = self._refusal(found, request, request_id, [])
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
