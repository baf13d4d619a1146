"""The event feed: an organization's events in commit order with a resumable cursor."""
from __future__ import annotations

from ..domain.codes import Scope
from ..domain.commands import ListEvents
from ..domain.models import Event
from .auth import Actor
from .ports import Services, Slice


def list_events(services: Services, actor: Actor, query: ListEvents) -> Slice[Event]:
    """Events after `query.after`; the returned cursor resumes after the last one read."""
    actor.require(Scope.INVENTORY_READ)
    actor.check_organization(query.organization_id)
    return services.store.list_events(actor.organization_id, query.after, query.types, query.limit)
