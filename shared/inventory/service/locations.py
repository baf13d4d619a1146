"""Locations: the stores and their IANA time zones, which fix what "end of day" means, and the
clients' own codes for them, taken wherever a location id is."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol, Sequence

from ..domain.codes import Scope
from ..domain.errors import Conflict, NotFound
from ..domain.commands import CreateLocation, ListLocations, UpdateLocation
from ..domain.models import Location
from .auth import Actor
from .ports import Services, Transaction
from .results import LocationCreated, LocationUpdated
from .unit_of_work import Idempotency, Outcome, run_once


class LocationReader(Protocol):
    """A transaction or a store: both read locations by id and by code."""

    def get_location(self, organization_id: str, location_id: str) -> Location | None: ...
    def find_location_by_code(self, organization_id: str, code: str) -> Location | None: ...


def resolve_location(reader: LocationReader, organization_id: str,
                     id_or_code: str) -> Location | None:
    """The organization's location with this id or, failing that, this code: an id wins over a
    code with the same text. Read in a transaction, a miss reads the code (and locks it where the
    store locks), so the answer holds until commit."""
    return (reader.get_location(organization_id, id_or_code)
            or reader.find_location_by_code(organization_id, id_or_code))


def require_location(reader: LocationReader, organization_id: str, id_or_code: str,
                     field: str = "location_id") -> Location:
    """As resolve_location, refused with NotFound `location_not_found` on `field` when neither
    an id nor a code names one."""
    location = resolve_location(reader, organization_id, id_or_code)
    if location is None:
        raise NotFound(f"no location {id_or_code}", field, "location_not_found")
    return location


def list_locations(services: Services, actor: Actor, query: ListLocations) -> Sequence[Location]:
    actor.require(Scope.INVENTORY_READ)
    actor.check_organization(query.organization_id)
    return services.store.list_locations(actor.organization_id)


def create_location(services: Services, actor: Actor, command: CreateLocation,
                    idempotency: Idempotency) -> Outcome[LocationCreated]:
    actor.require(Scope.INVENTORY_WRITE)
    actor.check_organization(command.organization_id)

    def decide(tx: Transaction, now: datetime) -> LocationCreated:
        org = actor.organization_id
        if command.code is not None and tx.find_location_by_code(org, command.code) is not None:
            raise Conflict(f"another location already has the code {command.code!r}", "code",
                           "duplicate_location_code")
        location = Location(id=services.new_id("loc"), organization_id=org, name=command.name,
                            time_zone=command.time_zone, code=command.code, created_at=now,
                            square_room_type=command.square_room_type)
        tx.save_location(location)
        return LocationCreated(location)

    return run_once(services, actor, idempotency, decide)


def update_location(services: Services, actor: Actor, location_id: str, command: UpdateLocation,
                    idempotency: Idempotency) -> Outcome[LocationUpdated]:
    """Change a location's settings: the room its Square counts live in."""
    actor.require(Scope.INVENTORY_WRITE)
    actor.check_organization(command.organization_id)

    def decide(tx: Transaction, now: datetime) -> LocationUpdated:
        location = require_location(tx, actor.organization_id, location_id, "location_id")
        updated = location.model_copy(update={"square_room_type": command.square_room_type})
        if updated != location:
            tx.save_location(updated)
        return LocationUpdated(updated)

    return run_once(services, actor, idempotency, decide)
