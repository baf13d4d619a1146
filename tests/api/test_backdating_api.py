"""Effective time over HTTP: PATCH, bulk lines and transfers may carry `occurred_at`; a late change
re-derives history, and every reader of history (the changes feed, snapshots, events) agrees."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from jsonschema import Draft202012Validator

from conftest import events_of
from inventory import cli
from inventory.http import openapi
from inventory.domain.time import format_instant
from manual_clock import ManualClock

NOW = datetime(2026, 3, 20, 18, 0, tzinfo=timezone.utc)
SNAPSHOT = "/api/v1/inventory/snapshot"


@pytest.fixture
def clock(services) -> ManualClock:
    clock = ManualClock(NOW - timedelta(days=10))
    services.clock = clock
    return clock


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def iso(instant: datetime) -> str:
    return format_instant(instant)


@pytest.fixture
def history(api, clock):
    """An item opened ten days ago with 10, sold 4 six days ago and 5 two days ago: 1 left."""
    location = api.location("Denver", "America/Denver")
    item = api.item(location["id"], quantity=10)
    for days, amount in ((6, 4), (2, 5)):
        clock.set(days_ago(days))
        response = api.patch(f"/api/v1/inventory/{item['id']}",
                             {"quantity_change": -amount, "reason_code": "SALE"})
        assert response.status == 200, response
    clock.set(NOW)
    return location, item


def conforms(body: dict, schema: str) -> None:
    """The body is what the OpenAPI document says the route sends."""
    Draft202012Validator({**openapi.document(), "$ref": f"#/components/schemas/{schema}"}).validate(body)


def state(api, item_id: str):
    return api.get(f"/api/v1/inventory/{item_id}").json["data"], api.changes(item_id)


def test_a_backdated_change_takes_its_place_and_shows_both_times(api, history):
    _, item = history
    response = api.patch(f"/api/v1/inventory/{item['id']}", {
        "quantity_change": 3, "reason_code": "RETURN", "occurred_at": "2026-03-16T10:00:00-06:00"})
    assert response.status == 200, response
    change = response.json["change"]
    assert change["occurred_at"] == "2026-03-16T16:00:00.000000Z"
    assert change["recorded_at"] == iso(NOW)
    assert (change["quantity_before"], change["quantity_after"]) == (6, 9)
    assert response.json["data"]["quantity"] == 4
    ledger = api.changes(item["id"])  # latest effective time first
    assert [e["occurred_at"] for e in ledger] == sorted((e["occurred_at"] for e in ledger), reverse=True)
    assert [(e["quantity_before"], e["quantity_change"], e["quantity_after"]) for e in ledger] == [
        (9, -5, 4), (6, 3, 9), (10, -4, 6), (0, 10, 10)]


def test_a_backdated_change_that_breaks_a_later_entry_is_409_naming_it_and_writes_nothing(api, history):
    _, item = history
    sale = next(e for e in api.changes(item["id"]) if e["occurred_at"] == iso(days_ago(2)))
    before = state(api, item["id"])
    response = api.patch(f"/api/v1/inventory/{item['id']}", {
        "quantity_change": -2, "reason_code": "DAMAGE", "occurred_at": iso(days_ago(4))})
    assert response.status == 409, response
    assert response.error["code"] == "backdated_conflict"
    assert response.error["change_id"] == sale["id"]
    assert response.field_names() == ["occurred_at"]
    assert state(api, item["id"]) == before


@pytest.mark.parametrize("occurred_at, code", [
    (iso(NOW + timedelta(seconds=1)), "occurred_at_in_future"),
    (iso(days_ago(35) - timedelta(seconds=1)), "occurred_at_outside_window"),
    (iso(days_ago(11)), "occurred_before_item"),
])
def test_occurred_at_in_the_future_or_outside_the_window_is_422_naming_the_field(
        api, history, occurred_at, code):
    _, item = history
    before = state(api, item["id"])
    response = api.patch(f"/api/v1/inventory/{item['id']}", {
        "quantity_change": 1, "reason_code": "RETURN", "occurred_at": occurred_at})
    assert response.status == 422, response
    assert response.error["fields"][0] == {"field": "occurred_at", "code": code,
                                           "message": response.error["fields"][0]["message"]}
    bulk = api.post("/api/v1/inventory/bulk-update", {"updates": [
        {"id": item["id"], "quantity_change": 1, "reason_code": "RETURN"},
        {"id": item["id"], "quantity_change": 1, "reason_code": "RETURN", "occurred_at": occurred_at}]})
    assert bulk.status == 422 and "updates[1].occurred_at" in bulk.field_names(), bulk
    assert state(api, item["id"]) == before


def test_occurred_at_without_an_offset_is_refused(api, history):
    _, item = history
    response = api.patch(f"/api/v1/inventory/{item['id']}", {
        "quantity_change": 1, "reason_code": "RETURN", "occurred_at": "2026-03-16T10:00:00"})
    assert response.status == 422 and response.field_names() == ["occurred_at"], response


def test_the_window_is_the_organizations_and_set_through_the_admin_cli(api, history, capsys):
    _, item = history
    assert cli.main(["set-organization", api.organization_id, "--backdating-window-days", "3"]) == 0
    assert "backdating window: 3 days" in capsys.readouterr().out
    response = api.patch(f"/api/v1/inventory/{item['id']}", {
        "quantity_change": 1, "reason_code": "RETURN", "occurred_at": iso(days_ago(4))})
    assert response.status == 422 and response.error["fields"][0]["code"] == "occurred_at_outside_window"
    assert cli.main(["set-organization", api.organization_id, "--backdating-window-days", "-1"]) == 1


def test_correcting_an_earlier_count_changes_the_snapshot_and_says_when_it_was_recorded(
        api, history, clock):
    location, item = history
    asked = {"location_id": location["id"], "at": iso(days_ago(3))}
    first = api.get(SNAPSHOT, query=asked).json["data"]
    assert [line["quantity"] for line in first["items"]] == [6]
    sale = next(e for e in api.changes(item["id"]) if e["occurred_at"] == iso(days_ago(6)))
    assert first["revised_at"] is None  # everything it reports was known by then
    assert first["items"][0]["change"] == {"id": sale["id"], "occurred_at": iso(days_ago(6)),
                                           "recorded_at": iso(days_ago(6)), "revised_at": None}
    clock.set(NOW + timedelta(minutes=5))
    counted = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity": 8, "occurred_at": iso(days_ago(5))})
    assert counted.status == 200, counted
    assert counted.json["change"]["quantity_change"] == 2 and counted.json["change"]["counted_quantity"] == 8
    again = api.get(SNAPSHOT, query=asked).json["data"]
    assert [line["quantity"] for line in again["items"]] == [8]
    assert again["as_of"] == first["as_of"]
    # The answer changed, and says so: the count that sets it now was recorded after the instant.
    assert again["revised_at"] == iso(NOW + timedelta(minutes=5))
    assert again["items"][0]["change"] == {
        "id": counted.json["change"]["id"], "occurred_at": iso(days_ago(5)),
        "recorded_at": iso(NOW + timedelta(minutes=5)), "revised_at": None}
    correction = next(e for e in api.changes(item["id"]) if e["occurred_at"] == iso(days_ago(5)))
    assert correction["recorded_at"] == iso(NOW + timedelta(minutes=5))
    assert api.get(f"/api/v1/inventory/{item['id']}").json["data"]["quantity"] == 3


def test_a_correction_before_the_entry_that_sets_a_snapshot_revises_it_and_the_feed_names_it(
        api, history, clock):
    location, item = history
    clock.set(days_ago(4))
    other = api.item(location["id"], sku="OTHER", quantity=4)  # untouched: never revised
    clock.set(NOW)
    asked = {"location_id": location["id"], "at": iso(days_ago(3)), "limit": 1}
    first = api.get(SNAPSHOT, query=asked).json
    assert first["data"]["revised_at"] is None
    revised = NOW + timedelta(minutes=1)
    clock.set(revised)
    late = api.patch(f"/api/v1/inventory/{item['id']}", {
        "quantity_change": 1, "reason_code": "RETURN", "occurred_at": iso(days_ago(8))})
    assert late.status == 200, late
    clock.set(revised + timedelta(minutes=1))
    again = api.get(SNAPSHOT, query=asked).json
    line = again["data"]["items"][0]
    assert (line["id"], line["quantity"]) == (item["id"], 7)
    # The entry that sets the quantity then is the sale six days ago, re-derived by the return.
    sale = next(e for e in api.changes(item["id"]) if e["occurred_at"] == iso(days_ago(6)))
    assert line["change"] == {"id": sale["id"], "occurred_at": iso(days_ago(6)),
                              "recorded_at": iso(days_ago(6)), "revised_at": iso(revised)}
    assert again["data"]["revised_at"] == iso(revised)
    conforms(again, "SnapshotPage")
    # Every page of the same snapshot says so, the other item's too.
    second = api.get(SNAPSHOT, query={**asked, "cursor": again["pagination"]["next_cursor"]}).json
    assert [line["id"] for line in second["data"]["items"]] == [other["id"]]
    assert second["data"]["items"][0]["change"]["revised_at"] is None
    assert second["data"]["revised_at"] == iso(revised)
    # The changes feed shows which change revised which entries, and when.
    conforms(api.get(f"/api/v1/inventory/{item['id']}/changes").json, "CursorPageLedgerEntry")
    ledger = {e["occurred_at"]: e for e in api.changes(item["id"])}
    assert [(ledger[iso(days_ago(d))]["revised_at"], ledger[iso(days_ago(d))]["revised_by"])
            for d in (10, 8, 6, 2)] == [(None, None), (None, None), (iso(revised), late.json["change"]["id"]),
                                        (iso(revised), late.json["change"]["id"])]
    # A snapshot before the correction's instant, or of now, reports nothing revised after it.
    for at in (days_ago(9), revised + timedelta(minutes=1)):
        body = api.get(SNAPSHOT, query={"location_id": location["id"], "at": iso(at)}).json["data"]
        assert body["revised_at"] is None, at


def test_subscribers_learn_the_effective_instant_and_from_when_history_changed(api, history, clock):
    _, item = history
    clock.set(NOW + timedelta(minutes=1))
    response = api.patch(f"/api/v1/inventory/{item['id']}", {
        "quantity_change": 2, "reason_code": "RETURN", "occurred_at": iso(days_ago(3))})
    assert response.status == 200, response
    events = events_of(api)
    updated, changed = events[-2], events[-1]
    assert updated["type"] == "inventory.updated" and updated["data"]["occurred_at"] == iso(days_ago(3))
    assert updated["data"]["item"]["quantity"] == 3
    assert changed["type"] == "inventory.history_changed"
    assert changed["data"]["item_id"] == item["id"] and changed["data"]["changed_from"] == iso(days_ago(3))
    listed = api.get("/api/v1/events", query={"type": "inventory.history_changed"})
    assert [e["id"] for e in listed.json["data"]] == [changed["id"]]


def test_each_bulk_lines_event_shows_its_entry_as_written_when_a_later_line_rederives_it(
        api, history):
    _, item = history  # 10 opened ten days ago, 4 sold six days ago, 5 two days ago
    response = api.post("/api/v1/inventory/bulk-update", {"updates": [
        {"id": item["id"], "quantity_change": -1, "reason_code": "DAMAGE", "occurred_at": iso(days_ago(3))},
        {"id": item["id"], "quantity_change": 2, "reason_code": "RETURN", "occurred_at": iso(days_ago(4))}]})
    assert response.status == 200, response
    ledger = {e["id"]: e for e in api.changes(item["id"])}
    damage, returned = (ledger[c["id"]] for c in response.json["changes"])
    # The return, dated before the damage, re-derived it: 8 -> 7, not the 6 -> 5 it first met.
    assert (damage["quantity_before"], damage["quantity_after"]) == (8, 7)
    assert (returned["quantity_before"], returned["quantity_after"]) == (6, 8)
    assert response.json["changes"] == [damage, returned]
    updated = [e["data"] for e in events_of(api) if e["type"] == "inventory.updated"][-2:]
    # (An event leaves out the subscriber's organization and the revision fields, null as written,
    # and the client's references when it sent none.)
    client = ("reference_id", "team_member_id", "source_application")
    shown = [{k: v for k, v in e.items() if k not in ("organization_id", "revised_at", "revised_by")
              and not (k in client and v is None)} for e in (damage, returned)]
    assert [event["change"] for event in updated] == shown
    # Placed in this very update, the damage is new, not revised; the sale after both is revised.
    assert damage["revised_at"] is None and damage["revised_by"] is None
    sale = next(e for e in ledger.values() if e["occurred_at"] == iso(days_ago(2)))
    assert (sale["revised_at"], sale["revised_by"]) == (iso(NOW), returned["id"])


def test_a_backdated_creation_puts_the_opening_at_its_instant_and_the_item_exists_from_then(
        api, clock):
    clock.set(NOW)
    location = api.location("Denver", "America/Denver")
    response = api.post("/api/v1/inventory", {
        "product_id": "p", "product_name": "Late", "sku": "LATE-1", "room_type": "vault",
        "quantity": 5, "location_id": location["id"], "occurred_at": "2026-03-17T12:00:00-06:00"})
    assert response.status == 201, response
    created = response.json["data"]
    assert (created["created_at"], created["updated_at"]) == (iso(days_ago(3)), iso(NOW))
    [opening] = api.changes(created["id"])
    assert (opening["occurred_at"], opening["recorded_at"]) == (iso(days_ago(3)), iso(NOW))
    assert (opening["quantity_before"], opening["quantity_after"]) == (0, 5)
    # Snapshots since then hold it, and say it arrived late; one before then does not.
    later = api.get(SNAPSHOT, query={"location_id": location["id"], "at": iso(days_ago(2))}).json["data"]
    assert [(line["id"], line["quantity"]) for line in later["items"]] == [(created["id"], 5)]
    assert later["revised_at"] == iso(NOW) and later["items"][0]["change"]["id"] == opening["id"]
    earlier = api.get(SNAPSHOT, query={"location_id": location["id"], "at": iso(days_ago(4))}).json["data"]
    assert earlier["items"] == []
    changed = [e for e in events_of(api) if e["type"] == "inventory.history_changed"]
    assert [e["data"]["changed_from"] for e in changed] == [iso(days_ago(3))]
    # Later changes may be dated from then on, not before.
    assert api.patch(f"/api/v1/inventory/{created['id']}", {
        "quantity_change": -1, "reason_code": "DAMAGE", "occurred_at": iso(days_ago(2))}).status == 200
    before = api.patch(f"/api/v1/inventory/{created['id']}", {
        "quantity_change": -1, "reason_code": "DAMAGE", "occurred_at": iso(days_ago(4))})
    assert before.status == 422 and before.error["fields"][0]["code"] == "occurred_before_item", before


@pytest.mark.parametrize("occurred_at, status, code", [
    (iso(NOW + timedelta(seconds=1)), 422, "occurred_at_in_future"),
    (iso(days_ago(35) - timedelta(seconds=1)), 422, "occurred_at_outside_window"),
])
def test_a_creation_dated_in_the_future_or_outside_the_window_is_refused_and_writes_nothing(
        api, clock, occurred_at, status, code):
    clock.set(NOW)
    location = api.location("Denver", "America/Denver")
    response = api.post("/api/v1/inventory", {
        "product_id": "p", "product_name": "Late", "sku": "LATE-1", "room_type": "vault",
        "quantity": 5, "location_id": location["id"], "occurred_at": occurred_at})
    assert response.status == status, response
    assert [(f["field"], f["code"]) for f in response.error["fields"]] == [("occurred_at", code)]
    assert api.get("/api/v1/inventory").json["data"] == []
    assert events_of(api) == []


def test_a_dated_creation_needs_an_opening_quantity_to_date(api, clock):
    clock.set(NOW)
    location = api.location("Denver", "America/Denver")
    response = api.post("/api/v1/inventory", {
        "product_id": "p", "product_name": "Late", "sku": "LATE-1", "room_type": "vault",
        "location_id": location["id"], "occurred_at": iso(days_ago(3))})
    assert response.status == 422 and response.error["code"] == "validation_failed", response
    assert [(f["field"], f["code"]) for f in response.error["fields"]] == [("occurred_at", "missing")]
    assert api.get("/api/v1/inventory").json["data"] == []


def test_a_transfer_may_be_dated_and_both_sides_take_its_place(api, history):
    location, item = history
    response = api.post("/api/v1/inventory/transfers", {
        "from_item_id": item["id"], "to_room_type": "vault", "quantity": 1,
        "occurred_at": iso(days_ago(1))})
    assert response.status == 201, response
    assert [c["occurred_at"] for c in response.json["data"]["changes"]] == [iso(days_ago(1))] * 2
    assert response.json["data"]["to_item"]["created_at"] == iso(days_ago(1))


def test_a_pos_rows_updated_at_dates_its_count_and_later_changes_apply_on_top(pos, api, clock, services):
    from api.test_pos_sync import run
    from api.test_sync_confirms import connect_http
    location, item = api.location("Denver", "America/Denver"), None
    item = api.item(location["id"], sku="POS-1", quantity=10)
    clock.set(days_ago(2))
    assert api.patch(f"/api/v1/inventory/{item['id']}",
                     {"quantity_change": -5, "reason_code": "SALE"}).status == 200
    clock.set(NOW)
    # The POS counted 7 five days ago; the sale two days ago (recorded here) comes after it.
    pos.rows[:] = [{"sku": "POS-1", "quantity": 7, "updated_at": iso(days_ago(5))}]
    connect_http(api, location, pos)
    result = run(api, services, location["id"])
    assert result["status"] == "succeeded" and result["summary"]["updated"] == 1, result
    count = next(e for e in api.changes(item["id"]) if e["source"] == "pos_sync")
    assert (count["occurred_at"], count["recorded_at"]) == (iso(days_ago(5)), iso(NOW))
    assert (count["quantity_before"], count["quantity_change"], count["counted_quantity"]) == (10, -3, 7)
    assert api.get(f"/api/v1/inventory/{item['id']}").json["data"]["quantity"] == 2


def test_a_pos_row_dated_before_the_window_is_refused_in_the_report_and_the_rest_proceeds(
        pos, api, clock, services):
    from api.test_pos_sync import run
    from api.test_sync_confirms import connect_http
    location = api.location("Denver", "America/Denver")
    stale = api.item(location["id"], sku="STALE", quantity=10)
    agreeing = api.item(location["id"], sku="AGREES", quantity=4)
    fresh = api.item(location["id"], sku="FRESH", quantity=10)
    clock.set(NOW)
    before = state(api, stale["id"])
    too_old = iso(days_ago(35) - timedelta(microseconds=1))
    pos.rows[:] = [{"sku": "STALE", "quantity": 7, "updated_at": too_old},
                   {"sku": "AGREES", "quantity": 4, "updated_at": too_old},
                   {"sku": "FRESH", "quantity": 6, "updated_at": iso(days_ago(1))}]
    connect_http(api, location, pos)
    result = run(api, services, location["id"])
    assert result["status"] == "succeeded", result
    assert result["summary"]["errors"] == [{
        "row": 1, "sku": "STALE", "field": "updated_at", "code": "occurred_at_outside_window",
        "message": result["summary"]["errors"][0]["message"]}]
    assert (result["summary"]["updated"], result["summary"]["unchanged"]) == (1, 1)
    assert state(api, stale["id"]) == before  # not counted now: nothing written, not even last_sync
    assert api.get(f"/api/v1/inventory/{agreeing['id']}").json["data"]["last_sync"] == iso(NOW)
    counted = next(e for e in api.changes(fresh["id"]) if e["source"] == "pos_sync")
    assert (counted["occurred_at"], counted["quantity_after"]) == (iso(days_ago(1)), 6)


def test_every_refused_pos_row_carries_a_code_and_the_field(pos, api, clock, services):
    from api.test_pos_sync import run
    from api.test_sync_confirms import connect_http
    location = api.location("Denver", "America/Denver")
    api.item(location["id"], sku="WHOLE", quantity=10)
    clock.set(NOW)
    rows = [{"sku": "A", "quantity": -1}, {"sku": "B", "quantity": "many"},
            {"sku": "C", "quantity": 1, "room_type": "attic"}, {"quantity": 1},
            {"sku": "D", "quantity": 1}, {"sku": "D", "quantity": 2},
            {"sku": "WHOLE", "quantity": "1.5"}]
    pos.rows[:] = [{**row, "updated_at": iso(days_ago(1))} for row in rows]
    connect_http(api, location, pos)
    result = run(api, services, location["id"])
    assert [(e["row"], e["field"], e["code"]) for e in result["summary"]["errors"]] == [
        (1, "quantity", "greater_than_equal"), (2, "quantity", "invalid_number"),
        (3, "room_type", "enum"), (4, "sku", "missing"), (6, "sku", "duplicate_row"),
        (7, "quantity", "fractional_quantity_for_unit")]
