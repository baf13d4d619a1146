"""Datawiz rows for earlier days: a row is a physical count at the end of its date in the shop's
time zone, placed in the effective-dated ledger (later entries re-derived, snapshots agreeing);
today's row is a count as of now. The ledger's refusals come in their shape on `date`, and a POST
is one unit of work: the counts and the kept rows are written together or not at all. Their
single-row GET reads a kept row back."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from conftest import Api
from inventory import cli
from inventory.adapters.firestore.transaction import FirestoreTransaction
from inventory.adapters.sqlite.store import SqliteTransaction
from inventory.datawiz import collection
from inventory.datawiz.rows import parse_rows
from inventory.domain.snapshot import end_of_day, local_date
from inventory.domain.time import format_instant
from inventory.service.auth import authenticate
from manual_clock import ManualClock

COLLECTION = "/api/v1/product-inventory/"
SNAPSHOT = "/api/v1/inventory/snapshot"
ZONE = "America/Denver"
NOW = datetime(2026, 3, 20, 18, 0, tzinfo=timezone.utc)  # 12:00 in Denver


def day(days_ago: int) -> str:
    return (local_date(NOW, ZONE) - timedelta(days=days_ago)).isoformat()


@pytest.fixture
def clock(services) -> ManualClock:
    clock = ManualClock(NOW - timedelta(days=10))
    services.clock = clock
    return clock


@pytest.fixture
def shop(api, clock):
    """A Denver shop whose prod_1 opened ten days ago with 10, sold 4 six days ago and 5 two days
    ago (1 left), and whose prod_2 (grams) opened with 3.5 then."""
    location = api.location("Denver", ZONE)
    first = api.item(location["id"], quantity=10)
    second = api.item(location["id"], product_id="prod_2", product_name="OG Kush", sku="OG-1",
                      unit="g", quantity=Decimal("3.5"))
    for days, amount in ((6, 4), (2, 5)):
        clock.set(NOW - timedelta(days=days))
        sold = api.patch(f"/api/v1/inventory/{first['id']}",
                         {"quantity_change": -amount, "reason_code": "SALE"})
        assert sold.status == 200, sold
    clock.set(NOW)
    return {"location": location, "prod_1": first["id"], "prod_2": second["id"]}


def row(shop, date_: str, qty, product_id="prod_1") -> dict:
    return {"date": date_, "shop_id": shop["location"]["id"], "product_id": product_id, "qty": qty}


def post(api: Api, body, **kw):
    return api.post(COLLECTION, body, idempotency_key=False, **kw)


def state(api: Api, shop) -> dict:
    """What a refusal must leave as it was: both items, their ledgers and the kept rows."""
    return {"items": [api.get(f"/api/v1/inventory/{shop[p]}").json["data"] for p in ("prod_1", "prod_2")],
            "ledgers": [api.changes(shop[p]) for p in ("prod_1", "prod_2")],
            "rows": api.get(COLLECTION).json}


def snapshot_quantity(api: Api, shop, date_: str) -> Decimal:
    body = api.get(SNAPSHOT, query={"location_id": shop["location"]["id"], "date": date_}).json
    return {line["id"]: line["quantity"] for line in body["data"]["items"]}[shop["prod_1"]]


def test_a_row_for_an_earlier_day_is_a_count_at_the_end_of_that_day_and_later_entries_rederive(api, shop):
    assert snapshot_quantity(api, shop, day(4)) == 6
    response = post(api, row(shop, day(4), 8))
    assert response.status == 201, response
    assert response.json == {"updated": 0, "inserted": 1}
    ledger = api.changes(shop["prod_1"])  # latest first, in effective order
    count = next(e for e in ledger if e["reason_code"] == "AUDIT")
    assert count["occurred_at"] == format_instant(end_of_day(date.fromisoformat(day(4)), ZONE))
    assert count["recorded_at"] == format_instant(NOW)
    assert (count["quantity_before"], count["counted_quantity"], count["quantity_change"]) == (6, 8, 2)
    later_sale = ledger[0]
    assert (later_sale["quantity_before"], later_sale["quantity_after"]) == (8, 3)  # re-derived
    item = api.get(f"/api/v1/inventory/{shop['prod_1']}").json["data"]
    assert item["quantity"] == 3 == sum(e["quantity_change"] for e in ledger)
    assert snapshot_quantity(api, shop, day(4)) == 8
    assert snapshot_quantity(api, shop, day(5)) == 6  # the day before is untouched
    assert snapshot_quantity(api, shop, day(2)) == 3
    (kept,) = api.get(COLLECTION).json["results"]
    assert (kept["date"], kept["qty"]) == (day(4), "8.0000")


def test_a_row_for_today_is_a_count_as_of_now_since_the_day_is_not_over(api, shop, clock):
    response = post(api, row(shop, day(0), 4))
    assert response.status == 201, response
    count = api.changes(shop["prod_1"])[0]
    assert count["reason_code"] == "AUDIT"
    assert count["occurred_at"] == count["recorded_at"] == format_instant(NOW)
    assert snapshot_quantity(api, shop, day(0)) == 4  # today's snapshot is as of now
    clock.advance(hours=1)
    sold = api.patch(f"/api/v1/inventory/{shop['prod_1']}", {"quantity_change": -1, "reason_code": "SALE"})
    assert sold.status == 200 and sold.json["data"]["quantity"] == 3  # sales after it apply on top


def test_rows_for_several_days_of_one_product_in_one_list_each_take_their_place(api, shop):
    response = post(api, [row(shop, day(1), 2), row(shop, day(5), 9), row(shop, day(0), 1)])
    assert response.status == 201 and response.json == {"updated": 0, "inserted": 3}
    assert [snapshot_quantity(api, shop, day(n)) for n in (6, 5, 4, 2, 1, 0)] == [6, 9, 9, 4, 2, 1]
    ledger = api.changes(shop["prod_1"])
    for entry in ledger:
        assert entry["quantity_after"] == entry["quantity_before"] + entry["quantity_change"]
    assert ledger[0]["quantity_after"] == sum(e["quantity_change"] for e in ledger) == 1


def test_reposting_an_earlier_days_row_replaces_its_count(api, shop):
    assert post(api, row(shop, day(4), 8)).json == {"updated": 0, "inserted": 1}
    again = post(api, row(shop, day(4), 7))
    assert again.status == 201 and again.json == {"updated": 1, "inserted": 0}
    assert snapshot_quantity(api, shop, day(4)) == 7
    assert api.get(f"/api/v1/inventory/{shop['prod_1']}").json["data"]["quantity"] == 2
    assert [r["qty"] for r in api.get(COLLECTION).json["results"]] == ["7.0000"]


def test_a_row_that_would_take_a_later_entry_below_zero_is_refused_on_date(api, shop):
    before = state(api, shop)
    refused = post(api, row(shop, day(4), 1))  # 1 at the end of that day, then a sale of 5
    assert refused.status == 400, refused
    assert list(refused.json) == ["date"]
    assert day(4) in refused.json["date"][0] and "would leave -4" in refused.json["date"][0]
    assert state(api, shop) == before


def test_a_row_before_the_item_existed_or_outside_the_backdating_window_is_refused_on_date(api, shop):
    before = state(api, shop)
    refused = post(api, row(shop, day(11), 5))
    assert refused.status == 400 and list(refused.json) == ["date"]
    assert "before the item was created" in refused.json["date"][0]
    assert cli.main(["set-organization", api.organization_id, "--backdating-window-days", "3"]) == 0
    outside = post(api, row(shop, day(4), 5))
    assert outside.status == 400 and list(outside.json) == ["date"]
    assert "backdating window of 3 days" in outside.json["date"][0]
    assert post(api, row(shop, day(2), 5)).status == 201  # within the window
    assert state(api, shop)["items"][1] == before["items"][1]


def test_one_row_the_ledger_refuses_refuses_the_whole_list_by_position_and_writes_nothing(api, shop):
    before = state(api, shop)
    refused = post(api, [row(shop, day(0), "1.5", "prod_2"), row(shop, day(4), 1),
                         row(shop, day(3), 2, "prod_2")])
    assert refused.status == 400, refused
    assert refused.json[0] == {} and refused.json[2] == {}
    assert list(refused.json[1]) == ["date"]
    assert state(api, shop) == before


def test_a_failure_between_the_counts_and_the_kept_rows_writes_neither(api, shop, services, backend,
                                                                       monkeypatch):
    """The counts and the kept rows are one transaction: if keeping the rows fails after the
    counts were decided (a crash, a store error), no count is left behind either."""
    before = state(api, shop)

    def fail(self, row):
        raise RuntimeError("the store failed while keeping the rows")

    transaction = SqliteTransaction if backend == "sqlite" else FirestoreTransaction
    monkeypatch.setattr(transaction, "save_stock_row", fail)
    actor = authenticate(services.store, f"Bearer {api.key}")
    rows, many = parse_rows([row(shop, day(0), 4), row(shop, day(4), 8)])
    plan = collection.check_rows(services, actor, rows, many)
    with pytest.raises(RuntimeError):
        collection.apply_rows(services, actor, plan, collection.Idempotency(None))
    monkeypatch.undo()
    assert state(api, shop) == before


# --- their single-row GET ----------------------------------------------------------------------

def test_the_single_row_get_answers_one_row_in_their_shape(api, shop):
    coded = api.post("/api/v1/locations", {"name": "Shop 3", "time_zone": ZONE, "code": "3"})
    assert coded.status == 201, coded
    item = api.item(coded.json["data"]["id"], product_id="5110", sku="S-5110", quantity=40)
    assert post(api, {"date": day(0), "shop_id": "3", "product_id": "5110", "qty": 46,
                      "original_price": "13.5615"}).status == 201
    url = f"{COLLECTION}{day(0)}_3_5110/"
    response = api.get(url)
    assert response.status == 200, response
    assert response.json == {
        "url": f"http://localhost{url}", "date": day(0), "shop_id": "3", "product_id": "5110",
        "qty": "46.0000", "original_price": "13.5615", "stock_total_price": "623.8300",
        "week_day": date.fromisoformat(day(0)).weekday()}
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert api.get(url.rstrip("/")).json == response.json  # with or without the slash
    assert api.get(f"{COLLECTION}{day(0)}_3_5110.json").json == response.json  # their suffix
    assert api.get(f"{COLLECTION}{day(0)}_{coded.json['data']['id']}_5110/").json == response.json
    assert api.request("HEAD", url).status == 200
    assert api.get(url, query={"format": "api"}).headers["Content-Type"].startswith("text/html")
    assert item["quantity"] == 40 and api.get(f"/api/v1/inventory/{item['id']}").json["data"]["quantity"] == 46


def test_shop_and_product_ids_holding_underscores_are_found(api, shop):
    location_id = shop["location"]["id"]  # loc_…: an underscore of its own
    api.item(location_id, product_id="p_1_x", sku="P-1-X", quantity=1)
    assert post(api, {"date": day(0), "shop_id": location_id, "product_id": "p_1_x", "qty": 3}).status == 201
    response = api.get(f"{COLLECTION}{day(0)}_{location_id}_p_1_x/")
    assert response.status == 200, response
    assert (response.json["shop_id"], response.json["product_id"], response.json["qty"]) == (
        location_id, "p_1_x", "3.0000")


@pytest.mark.parametrize("row_id", ["2026-03-20_nowhere_prod_1", "not-a-date_x_y", "2026-03-20",
                                    "2026-03-20_", "2026-02-30_3_5110", "x" * 300])
def test_a_row_that_is_not_there_is_404_in_their_shape(api, shop, row_id):
    response = api.get(f"{COLLECTION}{row_id}/")
    assert response.status == 404, response
    assert response.json == {"detail": "Not found."}


def test_the_single_row_url_is_read_only_and_needs_a_key(api, shop, gateway, other_api):
    assert post(api, row(shop, day(0), 4)).status == 201
    url = f"{COLLECTION}{day(0)}_{shop['location']['id']}_prod_1/"
    refused = api.post(url, row(shop, day(0), 5), idempotency_key=False)
    assert refused.status == 405 and refused.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert Api(gateway, None).get(url).status == 401
    assert other_api.get(url).json == {"detail": "Not found."}  # another organization's row
    options = api.request("OPTIONS", url)
    assert options.status == 200 and "actions" not in options.json
    assert "POST" in api.request("OPTIONS", COLLECTION).json["actions"]
