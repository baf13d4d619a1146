"""What an HTTP server refuses before any function runs — headers too large, a request line it
cannot read — in the error envelope like every other refusal, instead of the server's own HTML.

Two servers answer such requests: the cloud-local gateway (werkzeug's development server, over
Python's http.server: a header line over 64 KiB or more than 100 headers is a 431, a request
line over 64 KiB a 414), and gunicorn, which serves the local server and each function under
functions-framework (a header line over 8190 bytes or more than 100 headers is a 431).
"""
from __future__ import annotations

import uuid
from typing import Any

from werkzeug.serving import WSGIRequestHandler

from .. import bootstrap
from ..domain import wire
from .errors import envelope

CODES = {400: "bad_request", 408: "request_timeout", 413: "payload_too_large",
         414: "uri_too_long", 417: "expectation_failed", 431: "headers_too_large",
         501: "not_implemented", 505: "http_version_not_supported"}
MESSAGES = {
    400: "the request could not be read as HTTP/1.1",
    414: "the request line (method, path and query) is too long",
    431: "the request's headers are too large: too long a header line, or too many headers",
    505: "the server speaks HTTP/1.0 and HTTP/1.1",
}


def refusal(status: int, reason: str) -> tuple[bytes, list[tuple[str, str]]]:
    """The body and headers of a refusal the server makes itself."""
    request_id = uuid.uuid4().hex
    code = CODES.get(status, "bad_request" if status < 500 else "internal_error")
    body = wire.dumps(envelope(code, MESSAGES.get(status, reason.lower()), request_id)).encode()
    return body, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                  ("X-Request-Id", request_id), ("Connection", "close"),
                  ("Access-Control-Allow-Origin", bootstrap.settings().cors_origin),
                  ("Access-Control-Expose-Headers", "X-Request-Id")]


class EnvelopeRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, answering what http.server refuses in the error envelope."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        reason = self.responses.get(code, ("Error",))[0]
        self.log_error("code %d, message %s", code, message or reason)
        body, headers = refusal(code, reason)
        # A request line it could not read leaves http.server's HTTP/0.9 default, under which it
        # writes neither a status line nor headers; answer in HTTP/1.1, as the server speaks.
        self.request_version = "HTTP/1.1"
        self.send_response(code, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def install_in_gunicorn() -> None:
    """Have gunicorn, functions-framework's server, write its refusals in the envelope too.
    gunicorn has no setting for its error page: its workers call `gunicorn.util.write_error`,
    which this replaces in the function's process (the workers are forked after the function
    module is loaded, so they inherit it)."""
    try:
        from gunicorn import util
    except ImportError:  # functions-framework serves without gunicorn on Windows
        return
    if getattr(util.write_error, "writes_envelope", False):
        return

    def write_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
        body, headers = refusal(status_int, reason)
        head = f"HTTP/1.1 {status_int} {reason}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
        util.write_nonblock(sock, head.encode("latin-1") + b"\r\n" + body)

    write_error.writes_envelope = True  # type: ignore[attr-defined]
    util.write_error = write_error
