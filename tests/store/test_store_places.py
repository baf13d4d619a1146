"""One active item per place (organization, location, room type, SKU), kept by every store: a new
item claims its place only after the transaction read it, whatever the item's version; archiving
frees the place, and nothing else does; concurrent creates of one place leave exactly one item."""
from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.domain.codes import RoomType
from inventory.domain.errors import Conflict
from inventory.service.ports import PlaceNotRead

from .builders import LOCATION, ORG, at, create_items, event, item, race

SALES = RoomType.SALES_FLOOR


def _save_new(store, new) -> None:
    """Save a new item after reading its place, whatever the read found (as a careless caller would)."""
    def work(tx):
        tx.find_active_item(new.organization_id, new.location_id, new.room_type, new.sku)
        tx.save_item(new)
    store.transact(work)


def _holder(store, sku: str = "BD-35") -> str | None:
    found = store.transact(lambda tx: tx.find_active_item(ORG, LOCATION, SALES, sku))
    return found.id if found else None


@pytest.mark.parametrize("version", [1, 2, 7])
def test_a_new_item_claims_its_place_whatever_its_version(store, version):
    create_items(store, [item("itm_1", sku="BD-35", version=version, quantity=3)])
    assert _holder(store) == "itm_1"
    assert store.active_places(ORG, LOCATION) == [(SALES, "BD-35")]
    with pytest.raises(Conflict) as refusal:
        _save_new(store, item("itm_2", sku="BD-35"))
    assert refusal.value.code == "duplicate_item"
    assert store.get_item(ORG, "itm_2") is None


def test_a_new_item_saved_where_the_transaction_found_one_is_refused_and_writes_nothing(store):
    create_items(store, [item("itm_1", sku="BD-35")])

    def work(tx):
        tx.append_event(event("evt_1", occurred_at=at(1)))
        assert tx.find_active_item(ORG, LOCATION, SALES, "BD-35").id == "itm_1"
        tx.save_item(item("itm_2", sku="BD-35"))

    with pytest.raises(Conflict) as refusal:
        store.transact(work)
    assert refusal.value.code == "duplicate_item" and refusal.value.fields[0].field == "sku"
    assert store.get_item(ORG, "itm_2") is None and _holder(store) == "itm_1"
    assert store.pending_events(10) == []


def test_a_new_item_whose_place_was_not_read_is_refused_as_a_bug_of_the_caller(store):
    with pytest.raises(PlaceNotRead):
        store.transact(lambda tx: tx.save_item(item("itm_1", sku="BD-35")))
    assert store.get_item(ORG, "itm_1") is None
    # Another place read does not count; a new archived item claims no place.
    with pytest.raises(PlaceNotRead):
        store.transact(lambda tx: (tx.find_active_item(ORG, LOCATION, RoomType.VAULT, "BD-35"),
                                   tx.save_item(item("itm_1", sku="BD-35"))))
    store.transact(lambda tx: tx.save_item(item("itm_0", sku="BD-35", archived_at=at(1))))
    assert _holder(store) is None and store.get_item(ORG, "itm_0").archived_at == at(1)


def test_archiving_frees_the_place_for_a_new_item(store):
    create_items(store, [item("itm_1", sku="BD-35")])

    def archive(tx):
        found = tx.get_item(ORG, "itm_1")
        tx.save_item(found.model_copy(update={"archived_at": at(60), "version": found.version + 1}))

    store.transact(archive)
    assert _holder(store) is None and store.active_places(ORG, LOCATION) == []
    create_items(store, [item("itm_2", sku="BD-35", created_at=at(120))])
    assert _holder(store) == "itm_2"


def test_saving_an_archived_item_again_leaves_its_old_place_to_the_item_there_now(store):
    create_items(store, [item("itm_1", sku="BD-35", archived_at=at(60)),
                         item("itm_2", sku="BD-35", created_at=at(120))])

    def touch_archived(tx):
        old = tx.get_item(ORG, "itm_1")
        tx.save_item(old.model_copy(update={"product_name": "renamed", "version": old.version + 1}))

    store.transact(touch_archived)
    assert store.get_item(ORG, "itm_1").product_name == "renamed"
    assert _holder(store) == "itm_2"
    with pytest.raises(Conflict):
        _save_new(store, item("itm_3", sku="BD-35"))


def test_saving_an_item_read_in_the_transaction_keeps_its_place(store):
    create_items(store, [item("itm_1", sku="BD-35", quantity=1)])

    def adjust(tx):
        found = tx.get_item(ORG, "itm_1")
        tx.save_item(found.model_copy(update={"quantity": Decimal(5), "version": found.version + 1}))

    store.transact(adjust)
    store.transact(lambda tx: tx.save_item(
        tx.find_active_item(ORG, LOCATION, SALES, "BD-35").model_copy(update={"version": 3})))
    assert _holder(store) == "itm_1" and store.get_item(ORG, "itm_1").version == 3


def test_concurrent_creates_of_one_place_leave_exactly_one_item(store, backend):
    def create(n: int):
        def work(tx):
            if tx.find_active_item(ORG, LOCATION, SALES, "HOT") is not None:
                return None
            tx.save_item(item(f"itm_{n}", sku="HOT"))
            return f"itm_{n}"
        return work

    outcome = race(store, backend, create)
    assert outcome.failures == [] and outcome.refused == []
    created = [made for made in outcome.results if made]
    assert len(created) == 1, created
    assert _holder(store, "HOT") == created[0]
    assert store.active_places(ORG, LOCATION) == [(SALES, "HOT")]

