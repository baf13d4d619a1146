"""Who is calling: API keys resolved by hash to an organization and scopes."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from ..domain.codes import Scope
from ..domain.errors import Forbidden, Unauthenticated
from .ports import InventoryStore

KEY_PREFIX = "sk_"


@dataclass(frozen=True)
class Actor:
    organization_id: str
    api_key_id: str
    scopes: frozenset[Scope]

    def require(self, scope: Scope, field: str | None = None, why: str = "") -> None:
        """Refuse (Forbidden) unless the key has `scope`; `field` and `why` point at what asked for it."""
        if scope not in self.scopes:
            raise Forbidden(f"this API key lacks the {scope.value} scope{why}", field,
                            "insufficient_scope")

    def check_organization(self, organization_id: str | None, field: str = "organization_id") -> None:
        """A caller may name its own organization; naming another is refused."""
        if organization_id is not None and organization_id != self.organization_id:
            raise Forbidden("the API key belongs to another organization", field,
                            "organization_mismatch")


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def authenticate(store: InventoryStore, authorization: str | None) -> Actor:
    """Resolve `Authorization: Bearer <key>` to an actor, or refuse (Unauthenticated)."""
    if not authorization:
        raise Unauthenticated("send Authorization: Bearer <api key>", "Authorization",
                              "missing_api_key")
    scheme, _, secret = authorization.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        raise Unauthenticated("Authorization must be Bearer <api key>", "Authorization",
                              "invalid_api_key")
    key = store.find_api_key(hash_key(secret))
    if key is None or key.revoked_at is not None:
        raise Unauthenticated("unknown or revoked API key", "Authorization", "invalid_api_key")
    return Actor(key.organization_id, key.id, frozenset(key.scopes))
