"""HTTP for the Cannlytics dialect: `/api/inventory` with `organization_id`, answered as
`{"success": true, "data": …}`, refused as `{"success": false, "message": …}` with a 4xx.

Routes are chosen as the gateway chooses them (http/matching.py); the key, then
`organization_id`, are checked before an operation runs.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Response

from .. import bootstrap
from ..domain.errors import DomainError, Forbidden, NotFound
from ..http import request_log
from ..http.call import Call
from ..http.errors import BadRequest, MethodNotAllowed, status_of
from ..http.matching import match
from ..http.render import json_response
from ..http.routes import Routes
from ..service.unit_of_work import Outcome
from .translate import THEIR_NAME


def dispatch(routes: Routes, request: Any) -> Response:
    """Answer one request to the function's routes in Cannlytics' shapes."""
    started = time.perf_counter()
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    found = match([route.http for route in routes.routes], request.method, request.path)
    call: Call | None = None
    error_code = None
    try:
        if not found.allowed:
            raise NotFound(f"no route for {request.path}", code="route_not_found")
        if request.method == "OPTIONS":
            response = Response(status=204, headers={"Allow": ", ".join(found.allowed)})
        elif found.route is None:
            raise MethodNotAllowed(f"{request.method} is not allowed here; use "
                                   f"{', '.join(found.allowed)}", code="method_not_allowed")
        else:
            route = next(r for r in routes.routes if r.http is found.route)
            call = Call(request, found.params, route)
            _check_organization(call)
            response = _success(route.handler(call))
    except DomainError as refusal:
        error_code = refusal.code
        response = refused(refusal)
        if isinstance(refusal, MethodNotAllowed):
            response.headers["Allow"] = ", ".join(found.allowed)
    except Exception as crash:  # a bug: logged with its stack, answered in their shape
        request_log.log_exception(routes.function, request_id, crash)
        error_code = "internal_error"
        response = json_response({"success": False, "code": "internal_error",
                                  "message": "an unexpected error occurred; it has been logged"}, 500)
    response.headers["X-Request-Id"] = request_id
    response.headers["Access-Control-Allow-Origin"] = bootstrap.settings().cors_origin
    actor = call.__dict__.get("actor") if call is not None else None
    request_log.log_request(
        function=routes.function, method=request.method, url=request.url,
        status=response.status_code, latency_s=time.perf_counter() - started,
        request_id=request_id, organization_id=actor.organization_id if actor else None,
        user_agent=request.headers.get("User-Agent"), remote_ip=request.remote_addr,
        trace_header=request.headers.get("X-Cloud-Trace-Context"), error_code=error_code)
    return response


def _success(answer: Any) -> Response:
    """An operation's `data`, or a write's Outcome: its reply's data (the first one, on a retry
    with the same Idempotency-Key, marked `Idempotent-Replayed` as the native API marks it)."""
    if not isinstance(answer, Outcome):
        return json_response({"success": True, "data": answer})
    response = json_response({"success": True, "data": answer.reply.body}, answer.reply.status)
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def refused(refusal: DomainError) -> Response:
    """A refusal as Cannlytics sends one, with our machine-readable code and their field name."""
    code, field = refusal.code, None
    if refusal.fields:
        field = refusal.fields[0].field
        if len(refusal.fields) == 1:  # the finding's own code (validation_failed says less)
            code = refusal.fields[0].code
    body: dict[str, Any] = {"success": False, "message": refusal.message, "code": code}
    if field:
        body["field"] = THEIR_NAME.get(field, field)
    return json_response(body, status_of(refusal))


def _check_organization(call: Call) -> None:
    """The key first (401, and 403 without the route's scope), then `organization_id`: required,
    and the key's own (403 otherwise)."""
    actor = call.actor
    organization_id = call.request.args.get("organization_id")
    if not organization_id:
        raise BadRequest("organization_id is required: /api/inventory?organization_id=…",
                         "organization_id", "organization_id_required")
    if organization_id != actor.organization_id:
        raise Forbidden("the API key belongs to another organization", "organization_id",
                        "organization_mismatch")
