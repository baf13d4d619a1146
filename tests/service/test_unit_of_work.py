"""The unit of work: a use case's writes in one transaction, its events published after the commit
(only those of the attempt that committed), and, with an Idempotency-Key, the reply the dialect
rendered stored with the change, so that a retry gets that reply whatever the dialect."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from inventory.domain.codes import Scope
from inventory.domain.commands import CreateItem, CreateLocation, UpdateItem
from inventory.service import items, locations, sync
from inventory.service.admin import create_organization
from inventory.service.auth import Actor
from inventory.service.unit_of_work import WITHOUT_KEY, Idempotency, Reply


class Abandoned(Exception):
    pass


class ContendedStore:
    """The real store, with the first attempt of every transaction abandoned after its work ran,
    as Firestore abandons a transaction on contention and runs the work again."""

    def __init__(self, store):
        self._store = store
        self.abandoned = 0

    def transact(self, work):
        def first_attempt(tx):
            work(tx)
            raise Abandoned

        try:
            self._store.transact(first_attempt)
        except Abandoned:
            self.abandoned += 1
        return self._store.transact(work)

    def __getattr__(self, name):
        return getattr(self._store, name)


class SeenPublisher:
    """The configured publisher, noting what it is handed."""

    def __init__(self, publisher):
        self._publisher = publisher
        self.published = []

    def publish(self, events):
        self.published += list(events)
        if self._publisher is not None:
            self._publisher.publish(events)


@pytest.fixture
def actor(services):
    organization = create_organization(services, "Unit of work")
    return Actor(organization.id, "key_uow", frozenset(Scope))


def new_location(services, actor):
    return locations.create_location(services, actor, CreateLocation(
        name="Front", time_zone="America/Denver"), WITHOUT_KEY).result.location


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_only_the_committed_attempt_s_events_are_published(services, actor):
    location = new_location(services, actor)
    store = ContendedStore(services.store)
    seen = SeenPublisher(services.publisher)
    contended = dataclasses.replace(services, store=store)
    contended.__dict__["publisher"] = seen  # cached_property: the instance's own value wins
    created = items.create_item(contended, actor, CreateItem(
        product_id="p", product_name="P", sku="S-1", location_id=location.id,
        room_type="sales_floor", quantity=Decimal(10)), WITHOUT_KEY).result.item
    items.update_item(contended, actor, created.id,
                      UpdateItem(quantity_change=Decimal(-2), reason_code="SALE"), None,
                      WITHOUT_KEY)

    assert store.abandoned == 2
    committed = services.store.list_events(actor.organization_id, None, [], 100).items
    assert [e.id for e in seen.published] == [e.id for e in committed]
    assert len(committed) == 2  # one inventory.updated per change, none from the abandoned attempts
    assert services.store.pending_events(100) == []


def test_a_retry_gets_the_reply_the_dialect_rendered_and_changes_nothing(services, actor):
    """Whatever shape a dialect answers in, its reply is what is stored and replayed."""
    def render(result):
        return Reply(299, {"store": {"name": result.location.name, "tz": result.location.time_zone}})

    request = Idempotency("uow-1", "fingerprint-1", render)
    command = CreateLocation(name="Back", time_zone="America/Denver")
    first = locations.create_location(services, actor, command, request)
    again = locations.create_location(services, actor, command, request)

    assert not first.replayed and first.reply == Reply(299, {"store": {"name": "Back",
                                                                      "tz": "America/Denver"}})
    assert again.replayed and again.result is None and again.reply == first.reply
    assert [loc.id for loc in services.store.list_locations(actor.organization_id)] \
        == [first.result.location.id]


def test_a_write_with_a_key_needs_the_dialect_s_render(services, actor):
    with pytest.raises(TypeError):
        new_location_with_key = Idempotency("uow-2", "fingerprint-2")
        locations.create_location(services, actor, CreateLocation(
            name="Side", time_zone="America/Denver"), new_location_with_key)
    assert services.store.list_locations(actor.organization_id) == []


CSV = """sku,room_type,quantity
BD-35,sales_floor,40
NEW-1,vault,12
"""


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_sync_s_pages_and_completion_publish_only_what_committed(services, api, location):
    """Every page of a sync and its completion go through the unit of work: when the store runs
    their work again, the events of the abandoned attempts are not published."""
    api.item(location["id"], sku="BD-35", quantity=48)
    folder = services.settings.pos_file_root / api.organization_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "export.csv").write_text(CSV)
    connected = api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                            {"kind": "file", "settings": {"path": "export.csv"}})
    assert connected.status == 200, connected
    queued = api.post("/api/v1/inventory/sync", {"location_id": location["id"],
                                                 "sync_type": "full"}).json["data"]
    before = {e.id for e in services.store.list_events(api.organization_id, None, [], 100).items}

    store = ContendedStore(services.store)
    seen = SeenPublisher(services.publisher)
    contended = dataclasses.replace(services, store=store)
    contended.__dict__["publisher"] = seen
    done = sync.run_sync(contended, queued["id"])

    assert done.status.value == "succeeded" and store.abandoned >= 3  # start, page, finish
    committed = [e for e in services.store.list_events(api.organization_id, None, [], 100).items
                 if e.id not in before]
    assert [e.id for e in seen.published] == [e.id for e in committed]
    assert sorted(e.type for e in committed) == ["inventory.sync.completed", "inventory.updated",
                                                 "inventory.updated"]
