"""Refusals in Square's shape: `{"errors": [{"category", "code", "detail", "field"}]}`.

Square's 46.x SDK retries 408, 409, 429 and every 5xx by itself, so a refusal that a retry cannot
change is sent with a status it does not retry (400, 401, 403, 404, 413, 415); only contention,
which a retry can clear, keeps 503.
"""
from __future__ import annotations

from ..domain import errors as e
from ..http import errors as http

INVALID_REQUEST = "INVALID_REQUEST_ERROR"
# refusal type -> (status, Square category, Square code used when the refusal names none of its own)
SQUARE_STATUS: dict[type[e.DomainError], tuple[int, str, str]] = {
    http.BadRequest: (400, INVALID_REQUEST, "BAD_REQUEST"),
    e.Unauthenticated: (401, "AUTHENTICATION_ERROR", "UNAUTHORIZED"),
    e.Forbidden: (403, "AUTHENTICATION_ERROR", "INSUFFICIENT_SCOPES"),
    e.NotFound: (404, INVALID_REQUEST, "NOT_FOUND"),
    http.MethodNotAllowed: (405, INVALID_REQUEST, "METHOD_NOT_ALLOWED"),
    e.Conflict: (400, INVALID_REQUEST, "CONFLICT"),
    e.InsufficientStock: (400, INVALID_REQUEST, "INSUFFICIENT_INVENTORY"),
    e.VersionMismatch: (400, INVALID_REQUEST, "VERSION_MISMATCH"),
    http.PayloadTooLarge: (413, INVALID_REQUEST, "REQUEST_ENTITY_TOO_LARGE"),
    http.UnsupportedMediaType: (415, INVALID_REQUEST, "INVALID_CONTENT_TYPE"),
    e.InvalidInput: (400, INVALID_REQUEST, "INVALID_VALUE"),
    e.IdempotencyConflict: (400, INVALID_REQUEST, "IDEMPOTENCY_KEY_REUSED"),
    e.IdempotencyKeyRequired: (400, INVALID_REQUEST, "MISSING_REQUIRED_PARAMETER"),
    e.Contention: (503, "API_ERROR", "SERVICE_UNAVAILABLE"),
    http.InternalError: (500, "API_ERROR", "INTERNAL_SERVER_ERROR"),
}
# Native codes that have a closer Square code than their type's.
NATIVE_CODES = {
    "missing": "MISSING_REQUIRED_PARAMETER",
    "too_long": "ARRAY_LENGTH_TOO_LONG",       # pydantic's codes for a body that breaks its shape
    "too_short": "ARRAY_EMPTY",
    "string_too_long": "VALUE_TOO_LONG",
    "string_too_short": "VALUE_EMPTY",
    "literal_error": "INVALID_ENUM_VALUE",
    "body_required": "EXPECTED_JSON_BODY",
    "invalid_json": "EXPECTED_JSON_BODY",
    "invalid_cursor": "INVALID_CURSOR",
    "route_not_found": "NOT_FOUND",
    "item_not_found": "NOT_FOUND",
    "negative_stock": "INSUFFICIENT_INVENTORY",  # a bulk refusal names each line's own cause
    "insufficient_available": "INSUFFICIENT_INVENTORY",
    # A backdated change that would take a later entry below zero: Square's code for stock that
    # would go negative, sent as 400 (not our 409, which the SDK would retry); the detail names
    # the entry.
    "backdated_conflict": "INSUFFICIENT_INVENTORY",
    "occurred_at_in_future": "INVALID_TIME",
    "occurred_at_outside_window": "INVALID_TIME",
    "occurred_before_item": "INVALID_TIME",
    "location_not_found": "NOT_FOUND",
    "item_archived": "CONFLICT",
    "internal_error": "INTERNAL_SERVER_ERROR",
}


def square_status(error: e.DomainError) -> tuple[int, str, str]:
    for kind in type(error).__mro__:
        if kind in SQUARE_STATUS:
            return SQUARE_STATUS[kind]
    return 400, INVALID_REQUEST, "BAD_REQUEST"


def _code(code: str, default: str) -> str:
    if code.isupper():  # already one of Square's codes (raised by this dialect)
        return code
    return NATIVE_CODES.get(code, default)


def square_errors(error: e.DomainError) -> tuple[int, dict]:
    """The status and body Square would send for this refusal, one error per offending field."""
    status, category, default = square_status(error)
    if error.fields:
        found = [{"category": category, "code": _code(f.code, default), "detail": f.message,
                  "field": f.field} for f in error.fields]
    else:
        found = [{"category": category, "code": _code(error.code, default), "detail": error.message}]
    return status, {"errors": found}
