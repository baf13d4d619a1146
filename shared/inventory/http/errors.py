"""One table from refusal type to HTTP status, the refusals only HTTP makes, and the one error
envelope every function sends."""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..domain import errors as e
from ..domain.commands import RuleBroken


class BadRequest(e.DomainError):
    """The request cannot be read: a malformed header, or a body that is not a JSON object."""
    default_code = "bad_request"


class MethodNotAllowed(e.DomainError):
    """The path does not take this method."""
    default_code = "method_not_allowed"


class PayloadTooLarge(e.DomainError):
    """A body over the size limit."""
    default_code = "payload_too_large"


class UnsupportedMediaType(e.DomainError):
    """A body that is not sent as JSON."""
    default_code = "unsupported_media_type"


class InternalError(e.DomainError):
    """Not a refusal but a bug, logged with its stack: answered 500 in the route's dialect."""
    default_code = "internal_error"


STATUS: dict[type[e.DomainError], int] = {
    BadRequest: 400,
    e.IdempotencyKeyRequired: 400,
    e.Unauthenticated: 401,
    e.Forbidden: 403,
    e.NotFound: 404,
    MethodNotAllowed: 405,
    e.Conflict: 409,
    e.BackdatedConflict: 409,
    e.InsufficientStock: 409,
    e.VersionMismatch: 412,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    e.InvalidInput: 422,
    e.IdempotencyConflict: 422,
    e.Contention: 503,
    InternalError: 500,
}


def status_of(error: e.DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def envelope(code: str, message: str, request_id: str,
             fields: list[e.FieldError] | None = None, change_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "request_id": request_id}
    if fields:
        body["fields"] = [{"field": f.field, "code": f.code, "message": f.message} for f in fields]
    if change_id is not None:
        body["change_id"] = change_id
    return {"error": body}


def refusal_envelope(refusal: e.DomainError, request_id: str) -> dict[str, Any]:
    """The envelope of a refusal; a backdated conflict names the ledger entry it would break."""
    change_id = refusal.entry_id if isinstance(refusal, e.BackdatedConflict) else None
    return envelope(refusal.code, refusal.message, request_id, refusal.fields, change_id)


def from_validation(error: ValidationError, prefix: str = "") -> e.InvalidInput:
    """Pydantic's findings as a 422 naming each offending field (`updates[3].reason_code`)."""
    fields = []
    for problem in error.errors(include_url=False):
        path = prefix
        for part in problem["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += ("." if path else "") + str(part)
        cause = (problem.get("ctx") or {}).get("error")
        code, message = problem["type"], problem["msg"].removeprefix("Value error, ")
        if isinstance(cause, RuleBroken):
            path = ".".join(part for part in (path, cause.field) if part)
            code, message = cause.code, str(cause)
        if code == "extra_forbidden":
            code, message = "unknown_field", "unknown field"
        fields.append(e.FieldError(path or "body", code, message))
    summary = "; ".join(f"{f.field}: {f.message}" for f in fields[:5])
    return e.InvalidInput(f"invalid request: {summary}", code="validation_failed", fields=fields)
