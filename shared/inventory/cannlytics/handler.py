"""HTTP for the Cannlytics dialect: `/api/inventory` with `organization_id`, answered as
`{"success": true, "data": …}`, refused as `{"success": false, "message": …}` with a 4xx."""
from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Response

from .. import bootstrap
from ..domain.codes import Scope
from ..domain.errors import BadRequest, DomainError, Forbidden, MethodNotAllowed, NotFound
from ..http import request_log
from ..http.call import Call
from ..http.errors import status_of
from ..http.render import json_response
from . import inventory
from .translate import THEIR_NAME, parse_item_id, parse_post

PREFIX = "/api/inventory"
ROUTES = (("GET", PREFIX), ("POST", PREFIX), ("DELETE", PREFIX),
          ("GET", PREFIX + "/{item_id}"), ("DELETE", PREFIX + "/{item_id}"))
SUMMARY = {"GET": "Cannlytics: list inventory items, or get one",
           "POST": "Cannlytics: create an item, or update the fields posted",
           "DELETE": "Cannlytics: delete (archive) an empty item"}
METHODS = ("GET", "POST", "DELETE")
ALLOW = "DELETE, GET, HEAD, OPTIONS, POST"


def handle(request: Any, function: str) -> Response:
    """Answer one request to /api/inventory or /api/inventory/{item_id}."""
    started = time.perf_counter()
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    call = Call(request, {}, None)
    error_code = None
    try:
        response = _answer(call, request)
    except DomainError as refusal:
        error_code = refusal.code
        response = refused(refusal)
    except Exception as crash:  # a bug: logged with its stack, answered in their shape
        request_log.log_exception(function, request_id, crash)
        error_code = "internal_error"
        response = json_response({"success": False, "code": "internal_error",
                                  "message": "an unexpected error occurred; it has been logged"}, 500)
    response.headers["X-Request-Id"] = request_id
    response.headers["Access-Control-Allow-Origin"] = bootstrap.settings().cors_origin
    actor = call.__dict__.get("actor")
    request_log.log_request(
        function=function, method=request.method, url=request.url, status=response.status_code,
        latency_s=time.perf_counter() - started, request_id=request_id,
        organization_id=actor.organization_id if actor else None,
        user_agent=request.headers.get("User-Agent"), remote_ip=request.remote_addr,
        trace_header=request.headers.get("X-Cloud-Trace-Context"), error_code=error_code)
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
    response = json_response(body, status_of(refusal))
    if isinstance(refusal, MethodNotAllowed):
        response.headers["Allow"] = ALLOW
    return response


def _answer(call: Call, request: Any) -> Response:
    item_id = _path_item_id(request.path)
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": ALLOW})
    method = "GET" if request.method == "HEAD" else request.method
    if method not in METHODS:
        raise MethodNotAllowed(f"{request.method} is not allowed here; use {ALLOW}",
                               code="method_not_allowed")
    actor = call.actor
    organization_id = request.args.get("organization_id")
    if not organization_id:
        raise BadRequest("organization_id is required: /api/inventory?organization_id=…",
                         "organization_id", "organization_id_required")
    if organization_id != actor.organization_id:
        raise Forbidden("the API key belongs to another organization", "organization_id",
                        "organization_mismatch")
    services = call.services
    if method == "GET":
        actor.require(Scope.INVENTORY_READ)
        data: Any = (inventory.get(services, actor, item_id) if item_id
                     else inventory.list_all(services, actor))
    elif method == "POST":
        actor.require(Scope.INVENTORY_WRITE)
        if item_id:
            raise MethodNotAllowed("post items to /api/inventory", code="method_not_allowed")
        data = inventory.post(services, actor, parse_post(call.json))
    else:
        actor.require(Scope.INVENTORY_WRITE)
        # Their axios example names the item in the path (with a body of its own); their
        # Python example sends {"item_id": …} to the collection.
        inventory.archive(services, actor, item_id or parse_item_id(call.json))
        data = []
    return json_response({"success": True, "data": data})


def _path_item_id(path: str) -> str | None:
    rest = path[len(PREFIX):].strip("/")
    if not rest:
        return None
    if "/" in rest:
        raise NotFound(f"no route for {path}", code="route_not_found")
    return rest

