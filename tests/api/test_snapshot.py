"""GET /inventory/snapshot: stock at the end of a local day or at an instant, replayed from the ledger.

History is written through the API at chosen instants by moving the services' clock by hand.
"""
from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from conftest import Api, new_organization
from inventory.domain.codes import Scope
from inventory.domain.snapshot import end_of_day, local_date
from manual_clock import ManualClock

SNAPSHOT = "/api/v1/inventory/snapshot"
DENVER = ZoneInfo("America/Denver")
UTC = timezone.utc
MICROSECOND = timedelta(microseconds=1)


def denver(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=DENVER).astimezone(UTC)


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def clock(services) -> ManualClock:
    """Every function's services read this clock: what the test sets is when changes happen."""
    clock = ManualClock(denver(2026, 1, 20, 9, 0))
    services.clock = clock
    return clock


@pytest.fixture
def store_location(api, clock) -> dict:
    clock.set(denver(2026, 1, 1, 8, 0))
    return api.location("Denver", "America/Denver")


def snapshot(api: Api, location: dict, **query) -> dict:
    response = api.get(SNAPSHOT, query={"location_id": location["id"], **query})
    assert response.status == 200, response
    return response.json


def quantities(body: dict) -> dict[str, Decimal]:
    return {line["id"]: line["quantity"] for line in body["data"]["items"]}


def sell(api: Api, item: dict, amount, reason="SALE") -> None:
    response = api.patch(f"/api/v1/inventory/{item['id']}",
                         {"quantity_change": -amount, "reason_code": reason})
    assert response.status == 200, response


# --- the calendar day in the location's zone --------------------------------------------------

def test_date_is_the_end_of_that_day_in_the_locations_zone(api, clock, store_location):
    clock.set(denver(2026, 1, 27, 10, 0))
    item = api.item(store_location["id"], quantity=10)
    clock.set(denver(2026, 1, 27, 23, 30))
    sell(api, item, 2)  # late that evening in Denver: still the 27th there, the 28th in UTC
    clock.set(denver(2026, 1, 28, 0, 30))
    sell(api, item, 3)  # just after local midnight: the 28th
    clock.set(denver(2026, 2, 3, 12, 0))

    body = snapshot(api, store_location, date="2026-01-27")
    assert body["data"]["as_of"] == "2026-01-28T06:59:59.999999Z"  # 23:59:59.999999 MST
    assert body["data"]["location_id"] == store_location["id"]
    assert quantities(body) == {item["id"]: 8}
    assert quantities(snapshot(api, store_location, date="2026-01-28")) == {item["id"]: 5}
    before = snapshot(api, store_location, date="2026-01-26")
    assert before["data"]["items"] == []
    assert before["data"]["totals"] == {"items": 0, "quantity": 0, "value": 0}


@pytest.mark.parametrize("day, counted, not_counted, as_of", [
    # Spring forward: a 23-hour day that ends at midnight MDT.
    (date(2026, 3, 8), denver(2026, 3, 8, 23, 30), denver(2026, 3, 9, 0, 30),
     "2026-03-09T05:59:59.999999Z"),
    # Fall back: a 25-hour day; 01:30 happens twice and both count for the day.
    (date(2026, 11, 1), denver(2026, 11, 1, 23, 30), denver(2026, 11, 2, 0, 30),
     "2026-11-02T06:59:59.999999Z"),
])
def test_end_of_day_follows_daylight_saving_changes(api, clock, store_location, day, counted,
                                                     not_counted, as_of):
    clock.set(datetime.combine(day, datetime.min.time(), DENVER).astimezone(UTC) + timedelta(minutes=1))
    item = api.item(store_location["id"], quantity=10)
    clock.set(counted)
    sell(api, item, 1)
    clock.set(not_counted)
    sell(api, item, 4)
    clock.advance(days=2)
    body = snapshot(api, store_location, date=day.isoformat())
    assert body["data"]["as_of"] == as_of
    assert quantities(body) == {item["id"]: 9}


@pytest.mark.parametrize("zone", ["America/Denver", "America/Santiago", "America/Havana",
                                  "Pacific/Auckland", "Australia/Lord_Howe", "Asia/Kolkata",
                                  "Pacific/Kiritimati", "Europe/London"])
def test_every_day_of_the_year_ends_one_microsecond_before_the_next_begins(zone):
    # Santiago springs forward at midnight (00:00 never happens) and Havana falls back to it
    # (00:00 happens twice); Lord Howe moves by half an hour.
    day = date(2026, 1, 1)
    while day.year == 2026:
        last = end_of_day(day, zone)
        assert local_date(last, zone) == day
        assert local_date(last + MICROSECOND, zone) == day + timedelta(days=1)
        day += timedelta(days=1)


# --- instants -----------------------------------------------------------------------------

def test_at_counts_a_change_made_at_that_very_instant_and_ties_follow_ledger_order(
        api, clock, store_location):
    clock.set(denver(2026, 1, 10, 9, 0))
    item = api.item(store_location["id"], quantity=10)
    moment = clock.set(denver(2026, 1, 10, 15, 0))
    response = api.post("/api/v1/inventory/bulk-update", {"updates": [
        {"id": item["id"], "quantity_change": -4, "reason_code": "SALE"},
        {"id": item["id"], "quantity_change": 1, "reason_code": "RETURN"},
        {"id": item["id"], "quantity": 6}]})  # three entries at one instant: 6, 7, then 6
    assert response.status == 200, response
    clock.advance(hours=1)
    assert quantities(snapshot(api, store_location, at=iso(moment))) == {item["id"]: 6}
    assert quantities(snapshot(api, store_location, at=iso(moment - MICROSECOND))) == {item["id"]: 10}
    offset = moment.astimezone(DENVER).isoformat()  # the same instant written with -07:00
    assert snapshot(api, store_location, at=offset)["data"]["as_of"] == iso(moment)


def test_items_created_after_the_instant_are_absent(api, clock, store_location):
    clock.set(denver(2026, 1, 5, 9, 0))
    first = api.item(store_location["id"], sku="FIRST", quantity=3)
    later = clock.set(denver(2026, 1, 5, 11, 0))
    second = api.item(store_location["id"], sku="SECOND", quantity=0)  # no ledger entry at all
    clock.advance(days=1)
    assert quantities(snapshot(api, store_location, at=iso(later - MICROSECOND))) == {first["id"]: 3}
    assert quantities(snapshot(api, store_location, at=iso(later))) == {first["id"]: 3, second["id"]: 0}


def test_archived_items_appear_only_before_their_archiving(api, clock, store_location):
    clock.set(denver(2026, 1, 5, 9, 0))
    item = api.item(store_location["id"], quantity=5)
    emptied = clock.advance(hours=1)
    sell(api, item, 5, reason="DAMAGE")
    archived = clock.advance(hours=1)
    assert api.delete(f"/api/v1/inventory/{item['id']}").status == 200
    clock.advance(days=1)

    assert quantities(snapshot(api, store_location, at=iso(emptied - MICROSECOND))) == {item["id"]: 5}
    assert quantities(snapshot(api, store_location, at=iso(emptied))) == {item["id"]: 0}
    assert quantities(snapshot(api, store_location, at=iso(archived - MICROSECOND))) == {item["id"]: 0}
    assert quantities(snapshot(api, store_location, at=iso(archived))) == {}
    assert quantities(snapshot(api, store_location, date="2026-01-05")) == {}
    assert quantities(snapshot(api, store_location, date="2026-01-04")) == {}


def test_a_transfer_moves_stock_between_locations_in_their_snapshots(api, clock, store_location):
    clock.set(denver(2026, 1, 5, 9, 0))
    boulder = api.location("Boulder", "America/Denver")
    source = api.item(store_location["id"], quantity=10)
    moved = clock.advance(hours=2)
    response = api.post("/api/v1/inventory/transfers",
                        {"from_item_id": source["id"], "to_location_id": boulder["id"], "quantity": 4})
    assert response.status == 201, response
    arrived = response.json["data"]["to_item"]
    clock.advance(days=1)
    assert quantities(snapshot(api, store_location, at=iso(moved))) == {source["id"]: 6}
    assert quantities(snapshot(api, boulder, at=iso(moved))) == {arrived["id"]: 4}
    assert quantities(snapshot(api, boulder, at=iso(moved - MICROSECOND))) == {}


def test_today_is_answered_as_of_now(api, clock, store_location):
    clock.set(denver(2026, 1, 5, 9, 0))
    item = api.item(store_location["id"], quantity=10)
    now = clock.set(denver(2026, 1, 5, 14, 0))
    sell(api, item, 1)
    body = snapshot(api, store_location, date="2026-01-05")
    assert body["data"]["as_of"] == iso(now)
    assert quantities(body) == {item["id"]: 9}


# --- filters, values, totals and pages ----------------------------------------------------

@pytest.fixture
def stocked(api, clock, store_location) -> dict[str, dict]:
    clock.set(denver(2026, 1, 5, 9, 0))
    loc = store_location["id"]
    made = {
        "flower": api.item(loc, sku="F", quantity=Decimal("3.5"), unit="g", category="flower",
                           unit_cost=Decimal("2.1234")),
        "vault_flower": api.item(loc, sku="F", room_type="vault", quantity=100, unit="g",
                                 category="flower", unit_cost=Decimal("2")),
        "edible": api.item(loc, sku="E", quantity=12, category="edibles", unit_cost=Decimal("4.25")),
        "uncosted": api.item(loc, sku="U", quantity=7, category="edibles"),
        "quarantined": api.item(loc, sku="Q", room_type="quarantine", quantity=2,
                                category="flower", unit_cost=Decimal("1.5")),
    }
    clock.advance(hours=1)
    return made


def test_lines_carry_value_and_totals_skip_items_without_cost(api, clock, store_location, stocked):
    body = snapshot(api, store_location, date="2026-01-05")
    lines = {line["id"]: line for line in body["data"]["items"]}
    flower = lines[stocked["flower"]["id"]]
    assert set(flower) == {"id", "product_id", "product_name", "sku", "room_type", "quantity",
                           "reserved_quantity", "unit_cost", "value", "attributes", "change"}
    assert (flower["quantity"], flower["unit_cost"], flower["value"]) == (
        Decimal("3.5"), Decimal("2.1234"), Decimal("7.4319"))
    uncosted = lines[stocked["uncosted"]["id"]]
    assert uncosted["unit_cost"] is None and uncosted["value"] is None
    assert body["data"]["totals"] == {"items": 5, "quantity": Decimal("124.5"),
                                      "value": Decimal("7.4319") + 200 + 51 + 3}


def test_room_type_and_category_filter_items_and_totals(api, clock, store_location, stocked):
    def ids_and_totals(**query):
        body = snapshot(api, store_location, date="2026-01-05", **query)
        return {line["id"] for line in body["data"]["items"]}, body["data"]["totals"]

    ids, totals = ids_and_totals(room_type="vault")
    assert ids == {stocked["vault_flower"]["id"]}
    assert totals == {"items": 1, "quantity": 100, "value": 200}
    ids, totals = ids_and_totals(category="edibles")
    assert ids == {stocked["edible"]["id"], stocked["uncosted"]["id"]}
    assert totals == {"items": 2, "quantity": 19, "value": 51}
    ids, _ = ids_and_totals(category="flower", room_type="sales_floor")
    assert ids == {stocked["flower"]["id"]}
    assert ids_and_totals(category="none-such") == (set(), {"items": 0, "quantity": 0, "value": 0})


def test_pages_by_cursor_cover_every_item_once_with_whole_location_totals(
        api, clock, store_location, stocked):
    whole = snapshot(api, store_location, date="2026-01-05")
    assert whole["pagination"] == {"limit": 200, "next_cursor": None, "has_more": False}
    seen, cursor, pages = [], None, 0
    while True:
        body = snapshot(api, store_location, date="2026-01-05", limit=2,
                        **({"cursor": cursor} if cursor else {}))
        pages += 1
        assert len(body["data"]["items"]) <= 2
        assert body["data"]["totals"] == whole["data"]["totals"]
        seen += [line["id"] for line in body["data"]["items"]]
        cursor = body["pagination"]["next_cursor"]
        assert body["pagination"]["has_more"] == (cursor is not None)
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(seen) == [line["id"] for line in whole["data"]["items"]]


def test_a_cursor_keeps_the_instant_of_its_first_page(api, clock, store_location, stocked):
    first = snapshot(api, store_location, date="2026-01-05", limit=3)  # today: as of now
    clock.advance(minutes=5)
    last_id = max(item["id"] for item in stocked.values())
    sell(api, next(i for i in stocked.values() if i["id"] == last_id), 1, reason="THEFT")
    second = snapshot(api, store_location, date="2026-01-05", limit=3,
                      cursor=first["pagination"]["next_cursor"])
    assert second["data"]["as_of"] == first["data"]["as_of"]
    assert second["data"]["totals"] == first["data"]["totals"]
    assert len(first["data"]["items"]) + len(second["data"]["items"]) == 5


def test_later_pages_skip_items_archived_before_or_created_after_the_instant(api, clock, store_location):
    clock.set(denver(2026, 1, 5, 9, 0))
    first, archived, third, fourth = (api.item(store_location["id"], sku=sku, quantity=2)
                                      for sku in ("A", "B", "C", "D"))
    clock.advance(hours=1)
    sell(api, archived, 2, reason="DAMAGE")
    assert api.delete(f"/api/v1/inventory/{archived['id']}").status == 200
    instant = clock.advance(hours=1)
    clock.advance(hours=1)
    later = [api.item(store_location["id"], sku=sku, quantity=1) for sku in ("E", "F")]
    clock.advance(hours=1)
    pages, cursor = [], None
    while True:
        body = snapshot(api, store_location, at=iso(instant), limit=1,
                        **({"cursor": cursor} if cursor else {}))
        pages.append([line["id"] for line in body["data"]["items"]])
        assert body["data"]["totals"] == {"items": 3, "quantity": 6, "value": 0}
        cursor = body["pagination"]["next_cursor"]
        if cursor is None:
            break
    assert pages == [[first["id"]], [third["id"]], [fourth["id"]]]
    assert all(item["id"] > fourth["id"] for item in later)  # read after the last page's item


def test_every_page_carries_the_totals_of_the_first(api, clock, store_location, stocked):
    first = snapshot(api, store_location, date="2026-01-05", limit=2)
    # An attribute edit changes what a recount would value the past quantities at; the pages of
    # one snapshot still agree with each other.
    response = api.patch(f"/api/v1/inventory/{stocked['edible']['id']}", {"unit_cost": 100})
    assert response.status == 200, response
    cursor, pages = first["pagination"]["next_cursor"], [first]
    while cursor:
        pages.append(snapshot(api, store_location, date="2026-01-05", limit=2, cursor=cursor))
        cursor = pages[-1]["pagination"]["next_cursor"]
    assert len(pages) == 3
    assert all(page["data"]["totals"] == first["data"]["totals"] for page in pages)
    assert snapshot(api, store_location, date="2026-01-05")["data"]["totals"] != first["data"]["totals"]


def test_a_cursor_with_edited_totals_is_refused(api, clock, store_location, stocked):
    first = snapshot(api, store_location, date="2026-01-05", limit=2)
    cursor = first["pagination"]["next_cursor"]
    content = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    for field, value in [("n", 500), ("u", "1E+999999"), ("v", "NaN"), ("a", "x/y")]:
        edited = base64.urlsafe_b64encode(json.dumps({**content, field: value}).encode()).decode()
        response = api.get(SNAPSHOT, query={"location_id": store_location["id"],
                                            "date": "2026-01-05", "limit": 2, "cursor": edited})
        assert response.status == 422, (field, response)
        assert (response.error["code"], response.field_names()) == ("invalid_cursor", ["cursor"])


@pytest.mark.parametrize("cursor, code", [("not-a-cursor", "invalid_cursor"),
                                          ("eyJxIjoxfQ", "invalid_cursor")])
def test_a_cursor_this_api_did_not_write_is_refused(api, clock, store_location, stocked, cursor, code):
    response = api.get(SNAPSHOT, query={"location_id": store_location["id"], "date": "2026-01-05",
                                        "cursor": cursor})
    assert response.status == 422, response
    assert (response.error["code"], response.field_names()) == (code, ["cursor"])


def test_a_cursor_is_refused_with_other_parameters(api, clock, store_location, stocked):
    first = snapshot(api, store_location, date="2026-01-05", limit=2)
    response = api.get(SNAPSHOT, query={"location_id": store_location["id"], "date": "2026-01-05",
                                        "category": "flower", "limit": 2,
                                        "cursor": first["pagination"]["next_cursor"]})
    assert response.status == 422, response
    assert (response.error["code"], response.field_names()) == ("cursor_mismatch", ["cursor"])


# --- refusals -----------------------------------------------------------------------------

@pytest.mark.parametrize("query, status, code, field", [
    ({"location_id": None, "date": "2026-01-05"}, 422, "missing", "location_id"),
    ({"location_id": "loc_nowhere", "date": "2026-01-05"}, 404, "location_not_found", "location_id"),
    ({}, 422, "missing", "date"),
    ({"date": "2026-01-05", "at": "2026-01-05T12:00:00Z"}, 422, "date_and_at", "at"),
    ({"date": "2026-02-30"}, 422, "invalid_date", "date"),
    ({"date": "2026-1-5"}, 422, "invalid_date", "date"),
    ({"date": "05/01/2026"}, 422, "invalid_date", "date"),
    ({"date": "2026-01-21"}, 422, "date_in_future", "date"),
    ({"at": "2026-01-20T17:00:00.000001Z"}, 422, "at_in_future", "at"),
    ({"at": "2026-01-05T12:00:00"}, 422, "missing_offset", "at"),
    ({"at": "yesterday"}, 422, "invalid_instant", "at"),
    ({"date": "2026-01-05", "limit": 1001}, 422, "less_than_equal", "limit"),
    ({"date": "2026-01-05", "limit": 0}, 422, "greater_than_equal", "limit"),
    ({"date": "2026-01-05", "room_type": "attic"}, 422, "enum", "room_type"),
    ({"date": "2026-01-05", "sort": "id"}, 422, "unknown_field", "sort"),
])
def test_each_bad_request_is_a_clear_refusal_naming_the_field(api, clock, store_location, query,
                                                              status, code, field):
    clock.set(denver(2026, 1, 20, 10, 0))  # the 20th in Denver, 17:00Z
    query = {"location_id": store_location["id"], **query}  # None leaves a parameter out
    response = api.get(SNAPSHOT, query={name: value for name, value in query.items() if value is not None})
    assert response.status == status, response
    assert {"field": field, "code": code} in [
        {"field": f["field"], "code": f["code"]} for f in response.error["fields"]]


def test_the_last_moment_of_today_is_not_refused_but_tomorrow_is(api, clock, store_location):
    clock.set(denver(2026, 1, 20, 23, 59))
    assert api.get(SNAPSHOT, query={"location_id": store_location["id"], "date": "2026-01-20"}).status == 200
    response = api.get(SNAPSHOT, query={"location_id": store_location["id"], "date": "2026-01-21"})
    assert (response.status, response.error["code"]) == (422, "date_in_future")


def test_another_organizations_location_is_not_found(api, other_api, clock, store_location):
    response = other_api.get(SNAPSHOT, query={"location_id": store_location["id"], "date": "2026-01-05"})
    assert (response.status, response.error["code"]) == (404, "location_not_found")


def test_a_key_without_read_scope_is_refused(gateway, services, clock, store_location):
    _, secret = new_organization(services, scopes=(Scope.WEBHOOKS_MANAGE,))
    response = Api(gateway, secret).get(SNAPSHOT, query={"location_id": store_location["id"],
                                                         "date": "2026-01-05"})
    assert response.status == 403
