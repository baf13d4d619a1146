"""Locations: the stores and their IANA time zones, which fix what "end of day" means."""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from ..domain.codes import Scope
from ..domain.commands import CreateLocation, ListLocations
from ..domain.models import Location
from .auth import Actor
from .ports import Services, Transaction
from .results import LocationCreated
from .unit_of_work import Idempotency, Outcome, run_once


def list_locations(services: Services, actor: Actor, query: ListLocations) -> Sequence[Location]:
    actor.require(Scope.INVENTORY_READ)
    actor.check_organization(query.organization_id)
    return services.store.list_locations(actor.organization_id)


def create_location(services: Services, actor: Actor, command: CreateLocation,
                    idempotency: Idempotency) -> Outcome[LocationCreated]:
    actor.require(Scope.INVENTORY_WRITE)
    actor.check_organization(command.organization_id)

    def decide(tx: Transaction, now: datetime) -> LocationCreated:
        location = Location(id=services.new_id("loc"), organization_id=actor.organization_id,
                            name=command.name, time_zone=command.time_zone, created_at=now)
        tx.save_location(location)
        return LocationCreated(location)

    return run_once(services, actor, idempotency, decide)
