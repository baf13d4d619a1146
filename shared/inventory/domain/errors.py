"""Every refusal is a type with a machine-readable code and, where it applies, the offending field."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FieldError:
    field: str
    code: str
    message: str


class RuleBroken(ValueError):
    """A rule a request breaks while it is validated, naming the field to blame relative to where
    the rule is checked ("" for that place itself), surfaced in the error's `fields`."""

    def __init__(self, field: str, message: str, code: str = "invalid"):
        super().__init__(message)
        self.field = field
        self.code = code


class DomainError(Exception):
    """Base of all refusals; the HTTP layer maps each subclass to one status."""

    default_code = "error"

    def __init__(self, message: str, field: str | None = None, code: str | None = None,
                 fields: list[FieldError] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = list(fields or [])
        if field and not self.fields:
            self.fields = [FieldError(field, self.code, message)]


class BadRequest(DomainError):
    """The request cannot be read (400)."""
    default_code = "bad_request"


class Unauthenticated(DomainError):
    """No valid API key (401)."""
    default_code = "unauthenticated"


class Forbidden(DomainError):
    """The key may not do this (403)."""
    default_code = "forbidden"


class NotFound(DomainError):
    """No such resource in this organization (404)."""
    default_code = "not_found"


class MethodNotAllowed(DomainError):
    """Wrong method for the path (405)."""
    default_code = "method_not_allowed"


class Conflict(DomainError):
    """The request conflicts with the current state (409)."""
    default_code = "conflict"


class InsufficientStock(DomainError):
    """Stock would go below zero, or a sale beyond what is available (409)."""
    default_code = "insufficient_stock"


class VersionMismatch(DomainError):
    """If-Match names a version that is not the current one (412)."""
    default_code = "version_mismatch"


class PayloadTooLarge(DomainError):
    """Body over the size limit (413)."""
    default_code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    """A body that is not JSON (415)."""
    default_code = "unsupported_media_type"


class InvalidInput(DomainError):
    """Input that parses but breaks a rule (422)."""
    default_code = "invalid_input"


class IdempotencyConflict(DomainError):
    """An Idempotency-Key reused with a different request (422)."""
    default_code = "idempotency_key_reused"


class Contention(DomainError):
    """Too many concurrent writers of the same records: not applied, retry after a pause (503)."""
    default_code = "contention"

    def __init__(self, message: str, field: str | None = None, code: str | None = None,
                 retry_after_s: int = 1):
        super().__init__(message, field, code)
        self.retry_after_s = retry_after_s
