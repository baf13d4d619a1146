"""One location per code in an organization, kept by every store: a location takes a code only
after the transaction read it; a taken code is refused with nothing written; another organization
may use the same code; concurrent saves of one code leave exactly one location with it."""
from __future__ import annotations

import pytest

from inventory.domain.errors import Conflict
from inventory.domain.models import Location
from inventory.service.ports import LocationCodeNotRead

from .builders import OTHER_ORG, ORG, T0, at, event, race


def location(location_id: str, code: str | None, organization_id: str = ORG) -> Location:
    return Location(id=location_id, organization_id=organization_id, name=f"Shop {location_id}",
                    time_zone="America/Denver", code=code, created_at=T0)


def _create(store, new: Location) -> None:
    """Save a new location after reading its code, whatever the read found (a careless caller)."""
    def work(tx):
        if new.code is not None:
            tx.find_location_by_code(new.organization_id, new.code)
        tx.save_location(new)
    store.transact(work)


def test_a_location_is_found_by_its_code_in_and_out_of_transactions(store):
    _create(store, location("loc_1", "3"))
    _create(store, location("loc_2", None))
    assert store.find_location_by_code(ORG, "3").id == "loc_1"
    assert store.transact(lambda tx: tx.find_location_by_code(ORG, "3")).id == "loc_1"
    assert store.get_location(ORG, "loc_1").code == "3"
    assert store.get_location(ORG, "loc_2").code is None
    assert [(l.id, l.code) for l in store.list_locations(ORG)] == [("loc_1", "3"), ("loc_2", None)]
    assert store.find_location_by_code(ORG, "4") is None
    assert store.find_location_by_code(OTHER_ORG, "3") is None  # codes are per organization
    assert store.find_location_by_code(ORG, "loc_1") is None  # an id is not a code


def test_a_code_held_by_another_location_is_refused_and_writes_nothing(store):
    _create(store, location("loc_1", "L8Q3"))

    def work(tx):
        tx.append_event(event("evt_1", occurred_at=at(1)))
        assert tx.find_location_by_code(ORG, "L8Q3").id == "loc_1"
        tx.save_location(location("loc_2", "L8Q3"))

    with pytest.raises(Conflict) as refusal:
        store.transact(work)
    assert refusal.value.code == "duplicate_location_code"
    assert refusal.value.fields[0].field == "code"
    assert store.get_location(ORG, "loc_2") is None
    assert store.find_location_by_code(ORG, "L8Q3").id == "loc_1"
    assert store.pending_events(10) == []


def test_the_same_code_in_another_organization_is_its_own(store):
    _create(store, location("loc_1", "3"))
    _create(store, location("loc_9", "3", organization_id=OTHER_ORG))
    assert store.find_location_by_code(ORG, "3").id == "loc_1"
    assert store.find_location_by_code(OTHER_ORG, "3").id == "loc_9"


def test_a_code_not_read_in_the_transaction_is_refused_as_a_bug_of_the_caller(store):
    with pytest.raises(LocationCodeNotRead):
        store.transact(lambda tx: tx.save_location(location("loc_1", "3")))
    assert store.get_location(ORG, "loc_1") is None
    with pytest.raises(LocationCodeNotRead):  # another code read does not count
        store.transact(lambda tx: (tx.find_location_by_code(ORG, "4"),
                                   tx.save_location(location("loc_1", "3"))))
    store.transact(lambda tx: tx.save_location(location("loc_2", None)))  # no code: nothing to read
    assert store.get_location(ORG, "loc_2") is not None


def test_saving_a_location_again_keeps_its_code_and_changing_it_frees_the_old_one(store):
    _create(store, location("loc_1", "3"))

    def rename(tx):
        found = tx.get_location(ORG, "loc_1")
        tx.save_location(found.model_copy(update={"name": "Downtown"}))

    store.transact(rename)  # the code it was read with: no read of the code needed
    assert store.find_location_by_code(ORG, "3").name == "Downtown"

    def recode(tx):
        found = tx.get_location(ORG, "loc_1")
        tx.find_location_by_code(ORG, "7")
        tx.save_location(found.model_copy(update={"code": "7"}))

    store.transact(recode)
    assert store.find_location_by_code(ORG, "7").id == "loc_1"
    assert store.find_location_by_code(ORG, "3") is None
    _create(store, location("loc_2", "3"))
    assert store.find_location_by_code(ORG, "3").id == "loc_2"


def test_concurrent_creates_of_one_code_leave_exactly_one_location(store, backend):
    def create(n: int):
        def work(tx):
            tx.find_location_by_code(ORG, "HOT")
            tx.save_location(location(f"loc_{n}", "HOT"))
            return f"loc_{n}"
        return work

    outcome = race(store, backend, create)
    assert outcome.failures == []
    created = outcome.results
    assert len(created) == 1, created
    assert outcome.refused == ["duplicate_location_code"] * (outcome.writers - 1)
    assert store.find_location_by_code(ORG, "HOT").id == created[0]
    assert [l.id for l in store.list_locations(ORG)] == created
