"""Operator use cases behind the command-line tool: organizations and API keys."""
from __future__ import annotations

from ..domain.codes import Scope
from ..domain.errors import InvalidInput, NotFound
from ..domain.models import ApiKey, Organization
from .auth import hash_key, new_key_secret
from .ports import Services

ALL_SCOPES = tuple(Scope)


def create_organization(services: Services, name: str,
                        require_idempotency_key: bool = False) -> Organization:
    organization = Organization(id=services.new_id("org"), name=name, created_at=services.clock.now(),
                                require_idempotency_key=require_idempotency_key)
    services.store.save_organization(organization)
    return organization


def require_idempotency_key(services: Services, organization_id: str, required: bool) -> Organization:
    """Whether the organization's writes must carry an Idempotency-Key (refused without one)."""
    return _update_organization(services, organization_id, require_idempotency_key=required)


MAX_BACKDATING_WINDOW_DAYS = 3650


def set_backdating_window(services: Services, organization_id: str, days: int) -> Organization:
    """How many days back a change's occurred_at may reach (0: every change happens now)."""
    if not 0 <= days <= MAX_BACKDATING_WINDOW_DAYS:
        raise InvalidInput(f"the backdating window is 0 to {MAX_BACKDATING_WINDOW_DAYS} days",
                           "backdating_window_days", "out_of_range")
    return _update_organization(services, organization_id, backdating_window_days=days)


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


def _update_organization(services: Services, organization_id: str, **settings) -> Organization:
    """Save the organization with these settings changed; NotFound when there is none."""
    organization = services.store.get_organization(organization_id)
    if organization is None:
        raise NotFound(f"no organization {organization_id}", "organization_id",
                       "organization_not_found")
    changed = organization.model_copy(update=settings)
    services.store.save_organization(changed)
    return changed
