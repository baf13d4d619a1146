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
    """Base of all refusals; each dialect maps each subclass to its own answer (the native HTTP
    dialect: one status per type, in http/errors.py)."""

    default_code = "error"

    def __init__(self, message: str, field: str | None = None, code: str | None = None,
                 fields: list[FieldError] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = list(fields or [])
        if field and not self.fields:
            self.fields = [FieldError(field, self.code, message)]


class Unauthenticated(DomainError):
    """No valid API key."""
    default_code = "unauthenticated"


class Forbidden(DomainError):
    """The key may not do this."""
    default_code = "forbidden"


class NotFound(DomainError):
    """No such resource in this organization."""
    default_code = "not_found"


class Conflict(DomainError):
    """The request conflicts with the current state."""
    default_code = "conflict"


class BackdatedConflict(Conflict):
    """A change dated before later entries would leave one of them below zero; names the first
    such entry in effective order."""
    default_code = "backdated_conflict"

    def __init__(self, message: str, field: str | None = None, code: str | None = None,
                 entry_id: str = ""):
        super().__init__(message, field, code)
        self.entry_id = entry_id


class InsufficientStock(DomainError):
    """Stock would go below zero, or a sale beyond what is available."""
    default_code = "insufficient_stock"


class VersionMismatch(DomainError):
    """The version the caller expects is not the current one."""
    default_code = "version_mismatch"


class InvalidInput(DomainError):
    """Input that parses but breaks a rule."""
    default_code = "invalid_input"


class IdempotencyConflict(DomainError):
    """An Idempotency-Key reused with a different request."""
    default_code = "idempotency_key_reused"


class IdempotencyKeyRequired(DomainError):
    """A write without an Idempotency-Key, from an organization that requires one."""
    default_code = "idempotency_key_required"


class Contention(DomainError):
    """Too many concurrent writers of the same records: not applied, retry after a pause."""
    default_code = "contention"

    def __init__(self, message: str, field: str | None = None, code: str | None = None,
                 retry_after_s: int = 1):
        super().__init__(message, field, code)
        self.retry_after_s = retry_after_s
