"""Square's changes over the effective-dated ledger, through Square's own SDKs (46.x and the legacy
41.x) against the local server on both stores: occurred_at places a change in effective order,
TRANSFER changes are our transfers, the client's reference, team member and source are kept,
unchanged counts are ignored as Square ignores them, and a location names its Square room."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from square_sdk.ledger import (adjustment, batch, count, location_id, native_state, needs_square_sdk,
                               new_item, other_location_id, sdk, server, transfer)

pytestmark = needs_square_sdk


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def after(item: dict, **delta) -> str:
    """An instant `delta` after the item was created (within the backdating window)."""
    return (instant(item["created_at"]) + timedelta(**delta)).isoformat()


def changes_of(server, item, **kwargs) -> list[dict]:
    [result] = sdk(server, [{"method": "batch_get_changes", "kwargs": {
        "catalog_object_ids": [item["product_id"]], **kwargs}}])
    return result["body"].get("changes", [])


def shown(change: dict) -> dict:
    return change.get("adjustment") or change.get("physical_count") or change["transfer"]


# --- 1. occurred_at through the effective-dated ledger ---------------------------------------

def test_a_backdated_count_is_placed_at_its_instant_and_the_later_sale_applies_on_top(server, location_id):
    item = new_item(server, location_id, quantity=10)
    server.call("PATCH", f"/inventory/{item['id']}", {"quantity_change": -2, "reason_code": "SALE"})
    polled = datetime.now(timezone.utc).isoformat()  # a client's last poll, before the count arrives
    counted_at = after(item, milliseconds=1)  # before the sale, recorded after it
    [made] = sdk(server, [batch([count(item, "20", occurred_at=counted_at)])])
    [audit] = made["body"]["changes"]
    assert instant(audit["physical_count"]["occurred_at"]) == instant(counted_at)
    assert instant(audit["physical_count"]["created_at"]) > instant(counted_at)  # when recorded
    assert made["body"]["counts"][0]["quantity"] == "18"  # 20 counted, then the sale of 2
    quantity, ledger = native_state(server, item)
    assert quantity == 18
    assert [(e["reason_code"], e["quantity_after"]) for e in reversed(ledger)] == [
        ("ADJUSTMENT", 10), ("AUDIT", 20), ("SALE", 18)]
    # Square's reads show the effective times, in effective order, and a poll after `polled`
    # (by created_at) finds the late count although it happened before.
    listed = changes_of(server, item)
    assert [c["type"] for c in listed] == ["ADJUSTMENT", "PHYSICAL_COUNT", "ADJUSTMENT"]
    assert [shown(c)["id"] for c in listed] == [e["id"] for e in reversed(ledger)]
    assert [shown(c)["id"] for c in changes_of(server, item, updated_after=polled)] == [
        audit["physical_count"]["id"]]
    [counted] = sdk(server, [{"method": "get", "kwargs": {"catalog_object_id": item["product_id"]}}])
    assert [c["quantity"] for c in counted["body"]["counts"]] == ["18"]


def test_the_legacy_sdk_backdates_an_adjustment_within_the_organizations_window(server, location_id):
    item = new_item(server, location_id, quantity=10)
    server.call("PATCH", f"/inventory/{item['id']}", {"quantity": 10})  # a later count
    sold_at = after(item, milliseconds=1)
    [changed] = sdk(server, [{"method": "batch_change_inventory", "kwargs": {"body": {
        "idempotency_key": uuid.uuid4().hex,
        "changes": [adjustment(item, "IN_STOCK", "SOLD", "4", occurred_at=sold_at)]}}}], sdk="legacy")
    assert changed["status"] == 200, changed
    assert instant(changed["body"]["changes"][0]["adjustment"]["occurred_at"]) == instant(sold_at)
    # The later count still finds 10: the sale before it does not change the count.
    assert changed["body"]["counts"][0]["quantity"] == "10"
    ledger = native_state(server, item)[1]
    assert [(e["reason_code"], e["quantity_change"]) for e in reversed(ledger)] == [
        ("ADJUSTMENT", 10), ("SALE", -4), ("AUDIT", 4)]


@pytest.fixture(scope="module")
def steady_item(server, location_id) -> dict:
    return new_item(server, location_id, quantity=10)


OUTSIDE_THE_WINDOW = st.one_of(  # in the future, or older than the organization's 35 days
    st.timedeltas(min_value=timedelta(seconds=5), max_value=timedelta(days=3650)),
    st.timedeltas(min_value=-timedelta(days=3650), max_value=-timedelta(days=35, seconds=5)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=OUTSIDE_THE_WINDOW, kind=st.sampled_from(["adjustment", "physical_count", "transfer"]))
def test_an_occurred_at_in_the_future_or_beyond_the_window_is_refused_and_writes_nothing(
        server, steady_item, other_location_id, offset, kind):
    when = (datetime.now(timezone.utc) + offset).isoformat()
    change = {"adjustment": adjustment(steady_item, "IN_STOCK", "SOLD", "1", occurred_at=when),
              "physical_count": count(steady_item, "3", occurred_at=when),
              "transfer": transfer(steady_item, other_location_id, "1", occurred_at=when)}[kind]
    before = native_state(server, steady_item)
    refused = server.session.post(f"http://127.0.0.1:{server.port}/v2/inventory/changes/batch-create",
                                  json={"idempotency_key": uuid.uuid4().hex, "changes": [change]})
    assert refused.status_code == 400, refused.text
    [error] = refused.json()["errors"]
    assert (error["code"], error["field"]) == ("INVALID_TIME", f"changes[0].{kind}.occurred_at")
    assert native_state(server, steady_item) == before


# --- 2. TRANSFER -----------------------------------------------------------------------------

def test_a_transfer_moves_stock_between_locations_as_our_transfer(server, location_id, other_location_id):
    item = new_item(server, location_id, quantity=10)
    [made] = sdk(server, [batch([transfer(item, other_location_id, "4", reference_id="move-7"),
                                 adjustment(item, "IN_STOCK", "SOLD", "6")])])
    moved, sale = made["body"]["changes"]
    assert moved["type"] == "TRANSFER" and moved["transfer"]["id"].startswith("trf_")
    assert {k: moved["transfer"][k] for k in ("from_location_id", "to_location_id", "state",
                                              "quantity", "catalog_object_id", "reference_id")} == {
        "from_location_id": location_id, "to_location_id": other_location_id, "state": "IN_STOCK",
        "quantity": "4", "catalog_object_id": item["product_id"], "reference_id": "move-7"}
    assert sale["adjustment"]["to_state"] == "SOLD"
    assert {(c["location_id"], c["quantity"]) for c in made["body"]["counts"]} == {
        (location_id, "0"), (other_location_id, "4")}
    # The native ledger: two TRANSFER entries sharing the transfer's id, the destination created.
    [there] = server.call("GET", "/inventory", location_id=other_location_id,
                          product_id=item["product_id"]).json()["data"]
    assert (there["room_type"], there["quantity"]) == ("sales_floor", 4)
    out = [e for e in native_state(server, item)[1] if e["reason_code"] == "TRANSFER"]
    into = native_state(server, there)[1]
    assert [(e["transfer_id"], e["quantity_change"]) for e in out + into] == [
        (moved["transfer"]["id"], -4), (moved["transfer"]["id"], 4)]
    # Read back: by its id (the legacy SDK's call), and as one TRANSFER change from either side.
    transfer_id = moved["transfer"]["id"]
    [got, missing] = sdk(server, [
        {"method": "retrieve_inventory_transfer", "kwargs": {"transfer_id": transfer_id}},
        {"method": "retrieve_inventory_transfer", "kwargs": {"transfer_id": "trf_nothing"}}],
        sdk="legacy")
    assert got["body"]["transfer"] == moved["transfer"]
    assert (missing["status"], missing["errors"][0]["code"]) == (404, "NOT_FOUND")
    for side in (location_id, other_location_id):
        found = changes_of(server, item, location_ids=[side], types=["TRANSFER"])
        assert [c["transfer"] for c in found] == [moved["transfer"]]
    [walked] = sdk(server, [{"method": "changes", "pages": True,
                             "kwargs": {"catalog_object_id": item["product_id"]}}])
    assert [c["type"] for page in walked["pages"] for c in page] == ["ADJUSTMENT", "TRANSFER", "ADJUSTMENT"]
    [leg] = sdk(server, [{"method": "get_adjustment", "kwargs": {"adjustment_id": out[0]["id"]}}])
    assert (leg["status"], leg["errors"][0]["code"]) == (404, "NOT_FOUND")  # it is a transfer


def test_the_legacy_sdks_transfer_and_a_native_one_into_another_room(server, location_id, other_location_id):
    item = new_item(server, location_id, quantity=10)
    [moved] = sdk(server, [{"method": "batch_change_inventory", "kwargs": {"body": {
        "idempotency_key": uuid.uuid4().hex, "changes": [{"type": "TRANSFER", "transfer": {
            "catalog_object_id": item["product_id"], "state": "IN_STOCK",
            "from_location_id": item["location_id"], "to_location_id": other_location_id,
            "quantity": "3", "occurred_at": after(item, seconds=0), "employee_id": "emp_9"}}]}}}],
        sdk="legacy")
    assert moved["status"] == 200, moved
    shown_transfer = moved["body"]["changes"][0]["transfer"]
    assert (shown_transfer["quantity"], shown_transfer["employee_id"]) == ("3", "emp_9")
    # A native transfer into the vault: Square sees only the sales floor's side, as an adjustment.
    vaulted = server.call("POST", "/inventory/transfers", {
        "from_item_id": item["id"], "to_room_type": "vault", "quantity": 2})
    assert vaulted.status_code in (200, 201), vaulted.text
    last = changes_of(server, item, location_ids=[location_id])[-1]
    assert (last["type"], last["adjustment"]["from_state"], last["adjustment"]["to_state"]) == (
        "ADJUSTMENT", "IN_STOCK", "NONE")
    [missing] = sdk(server, [{"method": "retrieve_inventory_transfer", "kwargs": {
        "transfer_id": vaulted.json()["data"]["transfer_id"]}}], sdk="legacy")
    assert missing["status"] == 404


# --- 3. reference_id, team member and source are kept ------------------------------------------

def test_reference_team_member_and_source_are_kept_and_read_back(server, location_id):
    item = new_item(server, location_id, quantity=10)
    source = {"product": "EXTERNAL_API", "application_id": "sq0idp-app", "name": "Register 3"}
    [made] = sdk(server, [batch([
        adjustment(item, "IN_STOCK", "SOLD", "2", reference_id="order-1001", team_member_id="TM1",
                   source=source),
        count(item, "5", reference_id="count-9", employee_id="EMP2")])])
    sale, audit = (shown(c) for c in made["body"]["changes"])
    [got_sale, got_count] = sdk(server, [
        {"method": "get_adjustment", "kwargs": {"adjustment_id": sale["id"]}},
        {"method": "get_physical_count", "kwargs": {"physical_count_id": audit["id"]}}])
    for read in (sale, got_sale["body"]["adjustment"], shown(changes_of(server, item)[1])):
        assert (read["reference_id"], read["team_member_id"], read["employee_id"]) == (
            "order-1001", "TM1", "TM1")
        assert read["source"] == source
    assert (got_count["body"]["count"]["reference_id"], got_count["body"]["count"]["team_member_id"]) == (
        "count-9", "EMP2")
    ledger = {e["id"]: e for e in native_state(server, item)[1]}
    assert (ledger[sale["id"]]["reference_id"], ledger[sale["id"]]["team_member_id"],
            ledger[sale["id"]]["source_application"]) == ("order-1001", "TM1", source)
    assert ledger[audit["id"]]["team_member_id"] == "EMP2"
    opening = [e for e in ledger.values() if e["reason_code"] == "ADJUSTMENT"][0]
    assert (opening["reference_id"], opening["team_member_id"], opening["source_application"]) == (
        None, None, None)


# --- 4. ignore_unchanged_counts ------------------------------------------------------------------

def test_an_unchanged_count_writes_nothing_unless_the_client_asks_for_it(server, location_id):
    item = new_item(server, location_id, quantity=7)
    key = uuid.uuid4().hex
    by_default, ignored, kept, changed = sdk(server, [
        batch([count(item, "7")], key),
        {"method": "batch_create_changes", "kwargs": {
            "idempotency_key": uuid.uuid4().hex, "ignore_unchanged_counts": True,
            "changes": [count(item, "7")]}},
        {"method": "batch_create_changes", "kwargs": {
            "idempotency_key": uuid.uuid4().hex, "ignore_unchanged_counts": False,
            "changes": [count(item, "7")]}},
        batch([count(item, "6")]),
    ])
    for answer in (by_default, ignored):
        assert answer["body"].get("changes", []) == []
        assert [c["quantity"] for c in answer["body"]["counts"]] == ["7"]
    assert [(c["type"], c["physical_count"]["quantity"]) for c in kept["body"]["changes"]] == [
        ("PHYSICAL_COUNT", "7")]
    assert changed["body"]["counts"][0]["quantity"] == "6"
    quantity, ledger = native_state(server, item)
    assert quantity == 6
    assert [(e["reason_code"], e["quantity_change"]) for e in reversed(ledger)] == [
        ("ADJUSTMENT", 7), ("AUDIT", 0), ("AUDIT", -1)]


# --- 5. the room a Square location's counts live in ----------------------------------------------

def test_a_location_names_the_room_its_square_counts_live_in(server, location_id):
    made = server.call("POST", "/locations", {"name": "Vault shop", "time_zone": "America/Denver",
                                              "square_room_type": "vault"})
    assert made.status_code == 201, made.text
    shop = made.json()["data"]
    assert shop["square_room_type"] == "vault"
    vaulted = new_item(server, shop["id"], quantity=5, room_type="vault")
    on_floor = server.call("POST", "/inventory", {
        "product_id": vaulted["product_id"], "product_name": "Square test", "sku": vaulted["sku"],
        "location_id": shop["id"], "room_type": "sales_floor", "quantity": 9}).json()["data"]
    source = new_item(server, location_id, quantity=10)
    counted, sold, moved = sdk(server, [
        {"method": "get", "kwargs": {"catalog_object_id": vaulted["product_id"]}},
        batch([adjustment(vaulted, "IN_STOCK", "SOLD", "1")]),
        batch([transfer(source, shop["id"], "2")]),
    ])
    assert [(c["location_id"], c["quantity"]) for c in counted["body"]["counts"]] == [(shop["id"], "5")]
    assert sold["body"]["counts"][0]["quantity"] == "4"
    assert native_state(server, vaulted)[0] == 4 and native_state(server, on_floor)[0] == 9
    [arrived] = server.call("GET", "/inventory", location_id=shop["id"],
                            product_id=source["product_id"]).json()["data"]
    assert (arrived["room_type"], arrived["quantity"]) == ("vault", 2)  # into the Square room
    assert moved["body"]["changes"][0]["type"] == "TRANSFER"
    # The setting changes: the sales floor's item becomes the location's Square stock.
    changed = server.call("PATCH", f"/locations/{shop['id']}", {"square_room_type": "sales_floor"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["square_room_type"] == "sales_floor"
    [now_counted] = sdk(server, [{"method": "get", "kwargs": {"catalog_object_id": vaulted["product_id"],
                                                              "location_ids": shop["id"]}}])
    assert [c["quantity"] for c in now_counted["body"]["counts"]] == ["9"]
    listed = server.call("GET", "/locations").json()["data"]
    assert {loc["id"]: loc["square_room_type"] for loc in listed}[shop["id"]] == "sales_floor"


def test_a_square_room_setting_that_is_not_a_room_or_names_no_location_is_refused(server, location_id):
    before = server.call("GET", "/locations").json()["data"]
    for path, body, status, code, field in [
        (f"/locations/{location_id}", {"square_room_type": "attic"}, 422, "validation_failed", "square_room_type"),
        (f"/locations/{location_id}", {}, 422, "validation_failed", "square_room_type"),
        ("/locations/loc_nowhere", {"square_room_type": "vault"}, 404, "location_not_found", "location_id"),
    ]:
        refused = server.call("PATCH", path, body)
        assert refused.status_code == status, refused.text
        error = refused.json()["error"]
        assert error["code"] == code and field in [f["field"] for f in error["fields"]], error
    created = server.call("POST", "/locations", {"name": "Attic", "time_zone": "America/Denver",
                                                 "square_room_type": "attic"})
    assert created.status_code == 422
    assert server.call("GET", "/locations").json()["data"] == before
