"""The store port's batched reads, the same on every store adapter: the active items at a set of
places in one read, the organization's items among some ids, and the places of a location's active
items in one query. Arranged through the HTTP API, as a user would make the items."""
from __future__ import annotations

from decimal import Decimal

from inventory import bootstrap
from inventory.domain.codes import RoomType

SALES, VAULT = RoomType.SALES_FLOOR, RoomType.VAULT


def _stock(api, location_id: str, places: list[tuple[str, str]]) -> dict[tuple[RoomType, str], dict]:
    return {(RoomType(room), sku): api.item(location_id, sku=sku, room_type=room, quantity=1)
            for room, sku in places}


def test_find_active_items_reads_every_asked_place_at_once(api, other_api, location):
    here = _stock(api, location["id"], [("sales_floor", f"S-{n:03}") for n in range(40)]
                  + [("vault", "S-000"), ("vault", "V-1")])
    elsewhere = api.location("Boulder")
    api.item(elsewhere["id"], sku="S-001", quantity=1)                  # another location
    other_location = other_api.location()
    other_api.item(other_location["id"], sku="S-002", quantity=1)       # another organization
    archived = api.item(location["id"], sku="GONE", quantity=0)
    assert api.delete(f"/api/v1/inventory/{archived['id']}").status == 200
    asked = [(SALES, f"S-{n:03}") for n in range(45)] + [(VAULT, "S-000"), (VAULT, "V-1"),
                                                          (SALES, "GONE"), ("vault", "NOPE"),
                                                          (SALES, "S-001")]  # asked twice

    store = bootstrap.services().store
    found = store.transact(lambda tx: tx.find_active_items(api.organization_id, location["id"], asked))

    assert set(found) == set(here)  # nothing absent, archived, elsewhere or of another org
    assert {place: item.id for place, item in found.items()} == {p: i["id"] for p, i in here.items()}
    one = found[(SALES, "S-007")]
    assert one == store.transact(lambda tx: tx.find_active_item(api.organization_id, location["id"],
                                                                SALES, "S-007"))
    assert isinstance(one.room_type, RoomType) and one.quantity == Decimal(1)
    assert store.transact(lambda tx: tx.find_active_items(api.organization_id, location["id"], [])) == {}
    assert store.transact(lambda tx: tx.find_active_items(other_api.organization_id, location["id"],
                                                          asked)) == {}


def test_get_items_reads_the_organizations_items_among_the_ids_at_once(api, other_api, location):
    mine = [api.item(location["id"], sku=f"G-{n}", quantity=n) for n in range(5)]
    archived = api.item(location["id"], sku="G-GONE", quantity=0)
    assert api.delete(f"/api/v1/inventory/{archived['id']}").status == 200
    theirs = other_api.item(other_api.location()["id"], sku="G-0", quantity=1)
    asked = [i["id"] for i in mine] + [archived["id"], theirs["id"], "itm_missing", mine[0]["id"]]

    store = bootstrap.services().store
    found = store.transact(lambda tx: tx.get_items(api.organization_id, asked))

    assert set(found) == {i["id"] for i in mine} | {archived["id"]}  # not theirs, not unknown
    for item in mine:
        assert found[item["id"]] == store.transact(
            lambda tx: tx.get_item(api.organization_id, item["id"]))
    assert found[archived["id"]].archived_at is not None
    assert store.transact(lambda tx: tx.get_items(api.organization_id, [])) == {}


def test_active_places_are_the_locations_active_items_only(api, other_api, location):
    here = _stock(api, location["id"], [("sales_floor", "A"), ("vault", "A"), ("quarantine", "B")])
    archived = api.item(location["id"], sku="GONE", quantity=0)
    assert api.delete(f"/api/v1/inventory/{archived['id']}").status == 200
    api.item(api.location("Boulder")["id"], sku="ELSEWHERE", quantity=1)
    other_api.item(other_api.location()["id"], sku="OTHER-ORG", quantity=1)

    store = bootstrap.services().store
    places = store.active_places(api.organization_id, location["id"])

    assert sorted(places) == sorted(here) and len(places) == len(here)
    assert all(isinstance(room, RoomType) for room, _ in places)
    assert store.active_places(other_api.organization_id, location["id"]) == []


def test_an_item_saved_twice_in_one_transaction_keeps_the_last_write(api, location):
    made = api.item(location["id"], sku="TWICE", quantity=5, category="flower")
    store = bootstrap.services().store

    def work(tx):
        item = tx.get_item(api.organization_id, made["id"])
        first = item.model_copy(update={"quantity": Decimal("7.5"), "version": item.version + 1})
        tx.save_item(first)
        tx.save_item(first.model_copy(update={"category": None, "version": item.version + 2}))

    store.transact(work)
    after = store.get_item(api.organization_id, made["id"])
    assert (after.quantity, after.category, after.version) == (Decimal("7.5"), None, made["version"] + 2)
    assert after.product_name == made["product_name"] and after.sku == "TWICE"
