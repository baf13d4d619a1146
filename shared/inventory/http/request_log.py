"""One structured JSON line per request, in the shape Cloud Logging reads."""
from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from typing import Any
from urllib.parse import unquote_plus

_logger = logging.getLogger("inventory.request")


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time (functions-framework and tests swap it)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _configure() -> None:
    if not _logger.handlers:
        handler = _StdoutHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        _logger.addHandler(handler)
        _logger.setLevel(logging.INFO)
        _logger.propagate = False


def trace_field(trace_header: str | None) -> dict[str, str]:
    """`X-Cloud-Trace-Context: TRACE/SPAN;o=1` as the field that links a log line to its trace."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not trace_header or not project:
        return {}
    trace_id = trace_header.split("/", 1)[0]
    return {"logging.googleapis.com/trace": f"projects/{project}/traces/{trace_id}"}


# A query parameter whose name holds one of these (lower case, letters and digits only) carries
# a credential: a key sent as ?api_key=…, a presigned URL's X-Amz-Signature, an OAuth token.
CREDENTIAL_NAME_PARTS = ("key", "token", "secret", "passw", "pwd", "signature", "auth", "credential",
                         "session", "jwt", "bearer", "cookie")
CREDENTIAL_NAMES = {"sig", "pw", "pass"}
# What this API issues: API keys (sk_) and webhook signing secrets (whsec_), under any name.
OWN_SECRET_PREFIXES = ("sk_", "whsec_")
REDACTED = "REDACTED"


def is_credential_name(name: str) -> bool:
    folded = "".join(c for c in name.lower() if c.isalnum())
    return folded in CREDENTIAL_NAMES or any(part in folded for part in CREDENTIAL_NAME_PARTS)


def redacted_url(url: str) -> str:
    """`url` with the value of each credential-looking query parameter replaced by REDACTED; the
    rest of the query is kept exactly as it came."""
    base, mark, query = url.partition("?")
    if not mark:
        return url
    kept = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if equals and value and (is_credential_name(unquote_plus(name))
                                 or unquote_plus(value).startswith(OWN_SECRET_PREFIXES)):
            part = f"{name}={REDACTED}"
        elif not equals and unquote_plus(name).startswith(OWN_SECRET_PREFIXES):
            part = REDACTED
        kept.append(part)
    return f"{base}?{'&'.join(kept)}"


def log_request(*, function: str, method: str, url: str, status: int, latency_s: float,
                request_id: str, organization_id: str | None, user_agent: str | None,
                remote_ip: str | None, trace_header: str | None, error_code: str | None) -> None:
    _configure()
    severity = "ERROR" if status >= 500 else "WARNING" if status >= 400 else "INFO"
    line: dict[str, Any] = {
        "severity": severity,
        "message": f"{method} {url.split('?', 1)[0]} {status}",
        "httpRequest": {"requestMethod": method, "requestUrl": redacted_url(url), "status": status,
                        "latency": f"{latency_s:.6f}s", "userAgent": user_agent,
                        "remoteIp": remote_ip},
        "request_id": request_id, "function": function, "organization_id": organization_id,
        "status": status, "latency_ms": round(latency_s * 1000, 3),
    }
    if error_code:
        line["error_code"] = error_code
    line.update(trace_field(trace_header))
    _logger.info(json.dumps(line))


def log_exception(function: str, request_id: str, error: BaseException) -> None:
    """An unhandled error, with its stack in `message` so Error Reporting groups it."""
    _configure()
    stack = "".join(traceback.format_exception(error))
    _logger.error(json.dumps({"severity": "ERROR", "message": stack, "function": function,
                              "request_id": request_id}))
