"""A WSGI gateway that routes by serverless.yaml to each function, as API Gateway routes to Cloud
Functions: by default to each function's own functions-framework app in this process; given
backends, to anything WSGI, such as a proxy to the function's own process."""
from __future__ import annotations

import uuid
from typing import Callable, Iterable

import functions_framework
import requests
from werkzeug.wrappers import Request

from ..domain import wire
from ..http.errors import envelope
from ..http.matching import Match, match
from ..manifest import Manifest
from ..manifest import load as load_manifest

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class Gateway:
    def __init__(self, manifest: Manifest | None = None, backends: dict[str, WsgiApp] | None = None):
        self.manifest = manifest or load_manifest()
        self.apps: dict[str, WsgiApp] = backends or {
            function.name: functions_framework.create_app(target=function.name, source=str(function.main))
            for function in self.manifest.functions if function.routes}

    def route(self, method: str, path: str) -> Match:
        """The route for a request, and the methods its path allows, as a function chooses."""
        return match(self.manifest.http_routes, method, path)

    def function_for(self, method: str, path: str) -> str | None:
        """The function a request goes to, as the deployed gateway sends it: its route's; for
        another method of a declared path, the path's nearest route's (it answers 405 with
        `Allow`); under a dialect's prefix, that dialect's function (it answers 404 or 405 in its
        own shape); otherwise none."""
        found = self.route(method, path)
        chosen = found.route or found.nearest
        if chosen is not None:
            return chosen.function
        return next((f.name for f in self.manifest.functions if f.owns(path)), None)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        function = self.function_for(request.method, request.path)
        if function is not None:
            return self.apps[function](environ, start_response)
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        body = envelope("route_not_found", f"no route for {request.path}", request_id)
        payload = wire.dumps(body).encode()
        start_response("404 Not Found", [("X-Request-Id", request_id),
                                         ("Access-Control-Allow-Origin", "*"),
                                         ("Content-Type", "application/json"),
                                         ("Content-Length", str(len(payload)))])
        return [b""] if request.method == "HEAD" else [payload]


# Per connection, not end to end (RFC 9110 7.6.1): a proxy must not pass these on.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "transfer-encoding", "upgrade", "host", "content-length"}


class HttpProxy:
    """A WSGI app that forwards each request to a function served over HTTP, and its answer back."""

    def __init__(self, base_url: str, timeout_s: float = 600):
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.session = requests.Session()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        answer = self.session.request(
            request.method, self.base_url + request.full_path.rstrip("?"), data=request.get_data(),
            headers={k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP},
            allow_redirects=False, timeout=self.timeout_s)
        body = answer.content
        headers = [(k, v) for k, v in answer.raw.headers.items()
                   if k.lower() not in HOP_BY_HOP | {"content-encoding"}]
        # A HEAD answer has no body but the length GET would send (RFC 9110 8.6).
        length = answer.headers.get("Content-Length") if request.method == "HEAD" else None
        start_response(f"{answer.status_code} {answer.reason}",
                       headers + [("Content-Length", length or str(len(body)))])
        return [body]
