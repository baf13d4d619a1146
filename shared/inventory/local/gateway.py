"""A WSGI gateway that routes by serverless.yaml to each function's own functions-framework app,
as API Gateway routes to Cloud Functions: same paths, same function code, one process."""
from __future__ import annotations

import uuid
from typing import Callable, Iterable

import functions_framework
from werkzeug.wrappers import Request

from ..domain import wire
from ..http.errors import envelope
from ..http.routes import CORS_HEADERS
from ..manifest import HttpRoute, Manifest
from ..manifest import load as load_manifest

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class Gateway:
    def __init__(self, manifest: Manifest | None = None):
        self.manifest = manifest or load_manifest()
        self.apps: dict[str, WsgiApp] = {}
        for function in self.manifest.functions:
            if function.routes:
                self.apps[function.name] = functions_framework.create_app(
                    target=function.name, source=str(function.main))

    def route(self, method: str, path: str) -> tuple[HttpRoute | None, list[str]]:
        """The route for a request (literal segments beat parameters) and the methods the path allows."""
        matching = sorted((r for r in self.manifest.http_routes if r.pattern.match(path)),
                          key=lambda r: r.parameter_count)
        allowed = sorted({r.method for r in matching} | ({"OPTIONS"} if matching else set()))
        chosen = next((r for r in matching if r.method == method), None)
        return chosen, allowed

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        route, allowed = self.route(request.method, request.path)
        if route is not None:
            return self.apps[route.function](environ, start_response)
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        headers = [("X-Request-Id", request_id), ("Access-Control-Allow-Origin", "*")]
        if request.method == "OPTIONS" and allowed:
            headers += [("Allow", ", ".join(allowed)),
                        ("Access-Control-Allow-Methods", ", ".join(allowed)),
                        ("Access-Control-Allow-Headers", CORS_HEADERS),
                        ("Access-Control-Max-Age", "600")]
            start_response("204 No Content", headers)
            return [b""]
        if allowed:
            status, body = "405 Method Not Allowed", envelope(
                "method_not_allowed", f"{request.method} is not allowed here; use {', '.join(allowed)}",
                request_id)
            headers.append(("Allow", ", ".join(allowed)))
        else:
            status, body = "404 Not Found", envelope(
                "route_not_found", f"no route for {request.path}", request_id)
        payload = wire.dumps(body).encode()
        start_response(status, headers + [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(payload)))])
        return [payload]
