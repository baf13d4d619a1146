"""POS full sync, what a user reads in its summary and ledger: refusals point at their row, a zero
opening count writes no ledger entry (as creating the item by hand does), and the missing-items
report is one consistent view of the location, whatever is archived while it is taken."""
from __future__ import annotations

import dataclasses

from inventory import bootstrap
from inventory.service import sync

from api.test_pos_sync import by_sku, connect, export, run


def test_a_refused_row_is_reported_at_its_own_row_number(api, location, services):
    api.item(location["id"], sku="BD-35", quantity=10, unit="each")
    text = ("sku,room_type,quantity,unit\n"
            "A-1,sales_floor,4,each\n"
            "B-2,vault,7,g\n"
            "BD-35,sales_floor,2.5,each\n"      # a half unit of an item counted in units
            "C-3,sales_floor,1,each\n")
    connect(api, location["id"], kind="file", settings={"path": export(api, "pos.csv", text)})
    result = run(api, services, location["id"])
    assert result["status"] == "succeeded", result
    assert [(e["row"], e["sku"], e["field"]) for e in result["summary"]["errors"]] == [
        (3, "BD-35", "quantity")]
    assert "whole numbers" in result["summary"]["errors"][0]["message"]
    assert by_sku(api)["BD-35"]["quantity"] == 10
    assert result["summary"]["created"] == 3


def test_a_refusal_on_a_later_page_keeps_its_row_number_across_pages(api, location, services):
    rows = [f"S-{n:04},sales_floor,1,each" for n in range(1, 601)]
    rows[549] = "S-0550,sales_floor,0.5,each"  # row 550, on the second page of 500
    text = "sku,room_type,quantity,unit\n" + "\n".join(rows) + "\n"
    connect(api, location["id"], kind="file", settings={"path": export(api, "pos.csv", text)})
    result = run(api, services, location["id"])
    assert [(e["row"], e["sku"]) for e in result["summary"]["errors"]] == [(550, "S-0550")]


def test_a_zero_opening_count_writes_no_ledger_entry_as_creating_by_hand_does(api, location, services):
    by_hand = api.item(location["id"], sku="HAND-0", quantity=0)
    connect(api, location["id"], kind="file", settings={"path": export(
        api, "pos.csv", "sku,room_type,quantity\nPOS-0,sales_floor,0\nPOS-3,sales_floor,3\n")})
    result = run(api, services, location["id"])
    assert result["summary"]["created"] == 2 and result["summary"]["errors"] == []
    items = by_sku(api)
    assert api.changes(by_hand["id"]) == [] and api.changes(items["POS-0"]["id"]) == []
    assert items["POS-0"]["quantity"] == 0 and items["POS-0"]["version"] == by_hand["version"] == 1
    [opening] = api.changes(items["POS-3"]["id"])
    assert (opening["quantity_change"], opening["reason_code"], opening["item_version"]) == (3, "AUDIT", 1)
    # Every quantity is still explained by its ledger.
    again = run(api, services, location["id"])
    assert again["summary"]["unchanged"] == 2 and api.changes(items["POS-0"]["id"]) == []


class _ArchivingDuringTheReport:
    """The store, except that right after the sync first lists the location's items, another
    client archives one of them (as a user may at any moment)."""

    def __init__(self, store, archive):
        self._store = store
        self._archive = archive

    def _listing(self, name):
        listed = getattr(self._store, name)

        def once(*args, **kwargs):
            found = listed(*args, **kwargs)
            if self._archive is not None:
                archive, self._archive = self._archive, None
                archive()
            return found
        return once

    def __getattr__(self, name):
        if name in ("list_items", "active_places"):
            return self._listing(name)
        return getattr(self._store, name)


def test_missing_items_report_is_one_view_even_when_an_item_is_archived_meanwhile(api, location, services):
    skus = [f"OLD-{n:03}" for n in range(250)]
    connect(api, location["id"], kind="file", settings={"path": export(
        api, "pos.csv", "sku,room_type,quantity\n" + "".join(f"{s},vault,0\n" for s in skus))})
    assert run(api, services, location["id"])["summary"]["created"] == 250
    first = min(by_sku_all(api).values(), key=lambda i: i["id"])
    export(api, "pos.csv", "sku,room_type,quantity\n")  # the POS lists none of them now

    queued = api.post("/api/v1/inventory/sync", {"location_id": location["id"], "sync_type": "full"})
    assert queued.status == 202, queued
    current = bootstrap.services()
    archiving = _ArchivingDuringTheReport(
        current.store, lambda: _archive(api, first["id"]))
    done = sync.run_sync(dataclasses.replace(current, store=archiving), queued.json["data"]["id"])
    assert done.status.value == "succeeded", done.error
    assert archiving._archive is None, "the report never listed the location's items"
    # Every item the POS left out was active when the report looked; none is skipped.
    assert sorted(done.summary.missing) == skus


def _archive(api, item_id):
    response = api.delete(f"/api/v1/inventory/{item_id}")
    assert response.status == 200, response


def by_sku_all(api):
    found, page = {}, 1
    while True:
        response = api.get("/api/v1/inventory", query={"limit": 200, "page": page})
        found.update({i["sku"]: i for i in response.json["data"]})
        if page * 200 >= response.json["pagination"]["total"]:
            return found
        page += 1


def test_archive_missing_zeroes_what_the_pos_left_out_and_never_recreates_an_archived_item(
        api, location, services):
    kept = api.item(location["id"], sku="KEPT", quantity=5)
    empty = api.item(location["id"], sku="EMPTY", quantity=0)
    stale = api.item(location["id"], sku="STALE", quantity=3, room_type="vault")
    connect(api, location["id"], kind="file", archive_missing=True, settings={"path": export(
        api, "pos.csv", "sku,room_type,quantity\nKEPT,sales_floor,5\n")})

    queued = api.post("/api/v1/inventory/sync", {"location_id": location["id"], "sync_type": "full"})
    current = bootstrap.services()
    # EMPTY is archived by someone else right after the report listed it.
    archiving = _ArchivingDuringTheReport(current.store, lambda: _archive(api, empty["id"]))
    done = sync.run_sync(dataclasses.replace(current, store=archiving), queued.json["data"]["id"])

    assert done.status.value == "succeeded", done.error
    assert done.summary.missing == ["EMPTY", "STALE"] and done.summary.unchanged == 1
    items = by_sku(api)
    assert set(items) == {"KEPT", "STALE"}  # EMPTY stays archived: no new item in its place
    assert items["STALE"]["quantity"] == 0 and items["KEPT"]["quantity"] == 5
    [zeroed, _] = api.changes(stale["id"])
    assert (zeroed["quantity_change"], zeroed["reason_code"], zeroed["source"], zeroed["sync_id"]) == (
        -3, "AUDIT", "pos_sync", done.id)
    assert len(api.changes(kept["id"])) == 1 and api.changes(empty["id"]) == []
