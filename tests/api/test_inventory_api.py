"""The seed's calls: list with filters, get with ETag, create, PATCH with reason codes, history."""
from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import events_of


def test_list_returns_seed_shape_with_pagination_and_stable_order(api, location):
    created = [api.item(location["id"], sku=f"SKU-{n}", product_id=f"p{n}") for n in range(5)]
    first = api.get("/api/v1/inventory", query={"limit": 2})
    second = api.get("/api/v1/inventory", query={"limit": 2, "page": 2})
    assert first.status == 200
    assert set(first.json) == {"data", "pagination"}
    pagination = first.json["pagination"]
    assert {k: pagination[k] for k in ("page", "limit", "total")} == {"page": 1, "limit": 2, "total": 5}
    assert pagination["has_more"] is True and pagination["next_cursor"]
    ids = [i["id"] for i in first.json["data"] + second.json["data"]]
    assert ids == [c["id"] for c in created[:4]]


def test_list_defaults_to_page_one_and_fifty(api, item):
    response = api.get("/api/v1/inventory")
    assert response.json["pagination"] == {"page": 1, "limit": 50, "total": 1,
                                           "next_cursor": None, "has_more": False}


def test_list_by_cursor_walks_every_item_once_in_id_order(api, location):
    created = [api.item(location["id"], sku=f"SKU-{n}") for n in range(5)]
    elsewhere = api.item(api.location("Boulder")["id"], sku="E")
    seen, pages, query = [], 0, {"location_id": location["id"], "limit": 2}
    while True:
        response = api.get("/api/v1/inventory", query=query)
        assert response.status == 200, response
        pagination = response.json["pagination"]
        pages += 1
        seen += [i["id"] for i in response.json["data"]]
        assert pagination["total"] == 5 and pagination["limit"] == 2
        assert pagination["page"] == (1 if pages == 1 else None)
        assert pagination["has_more"] == (pagination["next_cursor"] is not None)
        if not pagination["has_more"]:
            break
        query["cursor"] = pagination["next_cursor"]
    assert pages == 3
    assert seen == sorted(seen) == [c["id"] for c in created]
    assert elsewhere["id"] not in seen


def test_page_and_cursor_agree_and_a_page_cursor_resumes_after_it(api, location):
    created = [api.item(location["id"], sku=f"SKU-{n}") for n in range(5)]
    page_two = api.get("/api/v1/inventory", query={"limit": 2, "page": 2})
    by_cursor = api.get("/api/v1/inventory", query={
        "limit": 3, "cursor": page_two.json["pagination"]["next_cursor"]})
    assert [i["id"] for i in by_cursor.json["data"]] == [created[4]["id"]]
    assert by_cursor.json["pagination"]["next_cursor"] is None
    last_page = api.get("/api/v1/inventory", query={"limit": 2, "page": 3})
    assert last_page.json["pagination"]["has_more"] is False


def test_a_cursor_skips_an_item_archived_behind_it_and_sees_one_added_ahead(api, location):
    first_two = [api.item(location["id"], sku=f"SKU-{n}") for n in range(2)]
    api.item(location["id"], sku="SKU-2")
    cursor = api.get("/api/v1/inventory", query={"limit": 2}).json["pagination"]["next_cursor"]
    api.patch(f"/api/v1/inventory/{first_two[0]['id']}", {"quantity_change": -10, "reason_code": "DAMAGE"})
    assert api.delete(f"/api/v1/inventory/{first_two[0]['id']}").status == 200
    added = api.item(location["id"], sku="SKU-3")
    response = api.get("/api/v1/inventory", query={"limit": 2, "cursor": cursor})
    assert [i["sku"] for i in response.json["data"]] == ["SKU-2", "SKU-3"]
    assert response.json["data"][-1]["id"] == added["id"]


@pytest.mark.parametrize("cursor", ["nonsense!", "aWQ6", "YWZ0ZXItaWQ6", "YWZ0ZXItaWQ6YS9i",
                                    "eyJhIjoxfQ"])
def test_a_list_cursor_this_api_did_not_write_is_refused(api, item, cursor):
    response = api.get("/api/v1/inventory", query={"cursor": cursor})
    assert response.status == 422, response
    assert (response.error["code"], response.field_names()) == ("invalid_cursor", ["cursor"])


def test_a_list_cursor_with_a_page_number_is_refused(api, location):
    for n in range(3):
        api.item(location["id"], sku=f"SKU-{n}")
    cursor = api.get("/api/v1/inventory", query={"limit": 1}).json["pagination"]["next_cursor"]
    response = api.get("/api/v1/inventory", query={"limit": 1, "page": 2, "cursor": cursor})
    assert response.status == 422, response
    assert [(f["field"], f["code"]) for f in response.error["fields"]] == [("cursor", "cursor_with_page")]
    assert api.get("/api/v1/inventory", query={"limit": 1, "page": 1, "cursor": cursor}).status == 200


def test_list_filters_by_location_room_category_low_stock_and_updated_after(api, location):
    other = api.location("Boulder")
    vault = api.item(location["id"], sku="V", room_type="vault", category="flower")
    low = api.item(location["id"], sku="L", quantity=1, low_stock_threshold=5, category="edibles")
    elsewhere = api.item(other["id"], sku="E")

    def ids(**query):
        response = api.get("/api/v1/inventory", query=query)
        assert response.status == 200, response
        return {i["id"] for i in response.json["data"]}

    assert ids(location_id=other["id"]) == {elsewhere["id"]}
    assert ids(room_type="vault") == {vault["id"]}
    assert ids(category="edibles") == {low["id"]}
    assert ids(low_stock="true") == {low["id"]}
    assert ids(low_stock="false") == {vault["id"], elsewhere["id"]}
    assert ids(updated_after=elsewhere["updated_at"]) == set()
    assert ids(updated_after=vault["updated_at"]) == {low["id"], elsewhere["id"]}


def test_get_one_returns_item_with_etag_and_derived_fields(api, item):
    response = api.get(f"/api/v1/inventory/{item['id']}")
    assert response.status == 200
    data = response.json["data"]
    assert response.headers["ETag"] == '"1"'
    for field in ("id", "product_id", "product_name", "sku", "location_id", "room_type",
                  "quantity", "reserved_quantity", "available_quantity", "unit_cost",
                  "unit_price", "last_sync", "category", "unit", "low_stock_threshold",
                  "created_at", "updated_at", "version"):
        assert field in data
    assert data["available_quantity"] == data["quantity"] - data["reserved_quantity"]
    assert data["unit_cost"] == Decimal("12.5")


def test_unknown_item_is_404_with_code(api, location):
    response = api.get("/api/v1/inventory/itm_missing")
    assert response.status == 404
    assert response.error["code"] == "item_not_found"
    assert response.error["request_id"]


def test_create_records_opening_quantity_in_the_ledger(api, location):
    item = api.item(location["id"], quantity=Decimal("12.5"), unit="g")
    changes = api.changes(item["id"])
    assert [c["quantity_change"] for c in changes] == [Decimal("12.5")]
    assert changes[0]["source"] == "create"


def test_patch_adjusts_with_reason_and_writes_ledger_and_outbox(api, item, services):
    before_events = len(events_of(api))
    response = api.patch(f"/api/v1/inventory/{item['id']}",
                         {"quantity_change": -2, "reason_code": "SALE", "notes": "order 1001"})
    assert response.status == 200, response
    assert response.json["data"]["quantity"] == 8
    assert response.json["data"]["version"] == 2
    assert response.headers["ETag"] == '"2"'
    change = response.json["change"]
    assert (change["quantity_before"], change["quantity_after"], change["quantity_change"]) == (10, 8, -2)
    assert change["reason_code"] == "SALE" and change["notes"] == "order 1001"
    assert change["api_key_id"].startswith("key_")
    assert change["idempotency_key"].startswith("test-")
    events = events_of(api)[before_events:]
    assert [e["type"] for e in events] == ["inventory.updated"]
    assert events[0]["data"]["change"]["id"] == change["id"]


def test_count_with_quantity_records_an_audit_change(api, item):
    response = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity": 7, "notes": "cycle count"})
    assert response.status == 200, response
    assert response.json["change"]["reason_code"] == "AUDIT"
    assert response.json["change"]["quantity_change"] == -3
    assert response.json["data"]["quantity"] == 7


def test_count_that_matches_still_records_the_audit(api, item):
    response = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity": 10, "reason_code": "AUDIT"})
    assert response.status == 200
    assert response.json["change"]["quantity_change"] == 0
    assert len(api.changes(item["id"])) == 2


def test_attribute_edits_never_touch_quantity(api, item):
    response = api.patch(f"/api/v1/inventory/{item['id']}",
                         {"product_name": "Blue Dream 1/8", "unit_price": Decimal("32.99"),
                          "low_stock_threshold": None, "category": "pre-rolls"})
    assert response.status == 200, response
    data = response.json["data"]
    assert data["quantity"] == 10 and data["unit_price"] == Decimal("32.99")
    assert data["low_stock_threshold"] is None and data["category"] == "pre-rolls"
    assert data["version"] == 2
    assert "change" not in response.json
    assert len(api.changes(item["id"])) == 1


def test_reserved_quantity_lowers_available_and_limits_sales(api, item):
    response = api.patch(f"/api/v1/inventory/{item['id']}", {"reserved_quantity": 8})
    assert response.json["data"]["available_quantity"] == 2
    refused = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -3, "reason_code": "SALE"})
    assert refused.status == 409
    assert refused.error["code"] == "insufficient_available"


def test_if_match_with_current_version_applies(api, item):
    response = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": 1, "reason_code": "RETURN"},
                         headers={"If-Match": '"1"'})
    assert response.status == 200


def test_history_is_newest_first_with_cursor_pagination(api, item):
    for n in range(5):
        api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": 1, "reason_code": "RETURN",
                                                      "notes": f"r{n}"})
    first = api.get(f"/api/v1/inventory/{item['id']}/changes", query={"limit": 4})
    assert first.status == 200
    assert [c["notes"] for c in first.json["data"]] == ["r4", "r3", "r2", "r1"]
    cursor = first.json["pagination"]["next_cursor"]
    second = api.get(f"/api/v1/inventory/{item['id']}/changes", query={"limit": 4, "cursor": cursor})
    assert [c["notes"] for c in second.json["data"]] == ["r0", "opening quantity"]
    assert second.json["pagination"]["next_cursor"] is None


def test_bad_cursor_is_refused(api, item):
    response = api.get(f"/api/v1/inventory/{item['id']}/changes", query={"cursor": "nonsense!"})
    assert response.status == 422
    assert response.field_names() == ["cursor"]


def test_archive_removes_from_lists_and_keeps_ledger(api, item):
    api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -10, "reason_code": "DAMAGE"})
    response = api.delete(f"/api/v1/inventory/{item['id']}")
    assert response.status == 200, response
    assert response.json["data"]["archived_at"] is not None
    assert api.get("/api/v1/inventory").json["pagination"]["total"] == 0
    assert api.get(f"/api/v1/inventory/{item['id']}").json["data"]["archived_at"]
    assert len(api.changes(item["id"])) == 2


def test_locations_are_created_and_listed_with_time_zone(api):
    created = api.location("Portland", "America/Los_Angeles")
    listed = api.get("/api/v1/locations")
    assert listed.status == 200
    assert listed.json["data"] == [created]
    assert created["time_zone"] == "America/Los_Angeles"


def test_low_stock_event_fires_once_per_crossing(api, item, services):
    start = len(events_of(api))
    path = f"/api/v1/inventory/{item['id']}"
    for change, reason in [(-7, "SALE"), (-1, "SALE"), (5, "RETURN"), (-5, "SALE")]:
        assert api.patch(path, {"quantity_change": change, "reason_code": reason}).status == 200
    types = [e["type"] for e in events_of(api)[start:]]
    assert types.count("inventory.low_stock") == 2
    assert types.count("inventory.updated") == 4


def test_decimal_weights_stay_exact_after_many_sales(api, location):
    item = api.item(location["id"], unit="g", quantity=35000, sku="BULK")
    for _ in range(10):
        body = {"updates": [{"id": item["id"], "quantity_change": Decimal("-3.5"),
                             "reason_code": "SALE"}] * 500}
        assert api.post("/api/v1/inventory/bulk-update", body).status == 200
    final = api.get(f"/api/v1/inventory/{item['id']}").json["data"]
    assert final["quantity"] == Decimal("17500")
    assert sum(c["quantity_change"] for c in api.changes(item["id"])) == final["quantity"]
