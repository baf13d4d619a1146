"""Operator use cases behind the command-line tool: organizations and API keys."""
from __future__ import annotations

from ..domain.codes import Scope
from ..domain.models import ApiKey, Organization
from .auth import hash_key, new_key_secret
from .ports import Services

ALL_SCOPES = tuple(Scope)


def create_organization(services: Services, name: str) -> Organization:
    organization = Organization(id=services.new_id("org"), name=name, created_at=services.clock.now())
    services.store.save_organization(organization)
    return organization


def create_api_key(services: Services, organization_id: str, name: str,
                   scopes: tuple[Scope, ...] = ALL_SCOPES) -> tuple[ApiKey, str]:
    """Store a new key by its hash and return it with its secret, which is shown only now."""
    secret = new_key_secret()
    key = ApiKey(id=services.new_id("key"), organization_id=organization_id, name=name,
                 key_hash=hash_key(secret), scopes=scopes, created_at=services.clock.now())
    services.store.save_api_key(key)
    return key, secret


def revoke_api_key(services: Services, key: ApiKey) -> ApiKey:
    revoked = key.model_copy(update={"revoked_at": services.clock.now()})
    services.store.save_api_key(revoked)
    return revoked
