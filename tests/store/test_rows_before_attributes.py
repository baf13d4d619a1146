"""Rows written before items had attributes and locations had codes read back with none: a SQLite
file at the schema before migrates in place, and Firestore documents without the fields are read
as they are."""
from __future__ import annotations

from decimal import Decimal

import pytest

from inventory import bootstrap
from inventory.domain.models import InventoryItem, Location
from old_schema import sqlite_file_at_version

ITEM = ("org_1", "itm_1", "p", "Blue Dream", "BD", "loc_1", "sales_floor", None, "each", 5000, 0,
        None, None, None, 0, None, None, "2026-01-05T12:00:00.000000Z",
        "2026-01-05T12:00:00.000000Z", 1)


def test_a_sqlite_file_from_before_migrates_and_its_rows_have_no_attributes_or_code(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_STORE", "sqlite")
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    bootstrap.reset()
    db = sqlite_file_at_version(tmp_path / "data" / "inventory.sqlite3", 6)  # before attributes
    db.execute("INSERT INTO locations VALUES ('org_1', 'loc_1', 'Denver', 'America/Denver',"
               " '2026-01-05T12:00:00.000000Z')")
    db.execute(f"INSERT INTO items VALUES ({', '.join('?' * len(ITEM))})", ITEM)
    db.close()
    try:
        store = bootstrap.services().store  # opening the store migrates it
        assert store.get_item("org_1", "itm_1").attributes == {}
        assert store.get_item("org_1", "itm_1").quantity == Decimal(5)
        assert store.get_location("org_1", "loc_1").code is None
        assert store.find_location_by_code("org_1", "loc_1") is None
    finally:
        bootstrap.reset()


@pytest.mark.firestore
def test_firestore_documents_from_before_read_with_no_attributes_or_code(backend):
    if backend != "firestore":
        pytest.skip("the Firestore documents")
    from inventory.adapters.records import to_row
    store = bootstrap.services().store
    location = to_row(Location(id="loc_old", organization_id="org_1", name="Denver",
                               time_zone="America/Denver", created_at="2026-01-05T12:00:00Z"))
    del location["code"]
    item = to_row(InventoryItem(id="itm_old", organization_id="org_1", product_id="p",
                                product_name="Blue Dream", sku="BD", location_id="loc_old",
                                room_type="sales_floor", quantity=Decimal(5),
                                created_at="2026-01-05T12:00:00Z", updated_at="2026-01-05T12:00:00Z",
                                version=1))
    del item["attributes"]
    store.client.collection("locations").document("loc_old").set(location)
    store.client.collection("items").document("itm_old").set(item)
    assert store.get_item("org_1", "itm_old").attributes == {}
    assert store.transact(lambda tx: tx.get_item("org_1", "itm_old")).attributes == {}
    assert store.get_location("org_1", "loc_old").code is None
    assert store.transact(lambda tx: tx.get_location("org_1", "loc_old")).code is None
    assert [l.id for l in store.list_locations("org_1")] == ["loc_old"]
