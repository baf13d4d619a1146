"""Every refusal: its status, its code and field, and that nothing was written."""
from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import events_of


@pytest.fixture
def snapshot_of(api, services):
    """What a refused request must leave unchanged: the item, its ledger and the outbox."""
    def take(item_id):
        return (api.get(f"/api/v1/inventory/{item_id}").json["data"], api.changes(item_id),
                len(events_of(api)))
    return take


@pytest.mark.parametrize("body, status, code, field", [
    ({"quantity_change": -11, "reason_code": "ADJUSTMENT"}, 409, "negative_stock", "quantity_change"),
    ({"quantity_change": -11, "reason_code": "SALE"}, 409, "negative_stock", "quantity_change"),
    ({"quantity_change": 2, "reason_code": "SALE"}, 422, "wrong_sign_for_reason", "quantity_change"),
    ({"quantity_change": -2, "reason_code": "RETURN"}, 422, "wrong_sign_for_reason", "quantity_change"),
    ({"quantity_change": 1, "reason_code": "DAMAGE"}, 422, "wrong_sign_for_reason", "quantity_change"),
    ({"quantity_change": 0, "reason_code": "ADJUSTMENT"}, 422, "zero_change", "quantity_change"),
    ({"quantity_change": Decimal("-0.5"), "reason_code": "SALE"}, 422, "fractional_quantity_for_unit", "quantity_change"),
    ({"quantity_change": -1}, 422, "missing", "reason_code"),
    ({"quantity_change": -1, "reason_code": "STOLEN"}, 422, "enum", "reason_code"),
    ({"quantity_change": "-1", "reason_code": "SALE"}, 422, "value_error", "quantity_change"),
    ({"quantity_change": Decimal("-1.0001"), "reason_code": "SALE"}, 422, "value_error", "quantity_change"),
    ({"quantity": -1}, 422, "greater_than_equal", "quantity"),
    ({"quantity": 5, "reason_code": "SALE"}, 422, "invalid", "reason_code"),
    ({"quantity": 5, "quantity_change": 1, "reason_code": "AUDIT"}, 422, "invalid", "quantity"),
    ({"quantity_change": -1, "reason_code": "SALE", "colour": "green"}, 422, "unknown_field", "colour"),
    ({}, 422, "missing", "quantity_change"),
    ({"notes": "x" * 1001, "quantity_change": 1, "reason_code": "RETURN"}, 422, "string_too_long", "notes"),
    ({"product_name": None}, 422, "invalid", "product_name"),
    ({"reserved_quantity": 11}, 422, "reserved_exceeds_quantity", "reserved_quantity"),
])
def test_refused_patch_writes_nothing(api, item, snapshot_of, body, status, code, field):
    before = snapshot_of(item["id"])
    response = api.patch(f"/api/v1/inventory/{item['id']}", body)
    assert response.status == status, response
    assert response.error["code"] in (code, "validation_failed")
    assert any(f["field"] == field and f["code"] == code for f in response.error["fields"]), response
    assert snapshot_of(item["id"]) == before


def test_sale_beyond_available_is_refused_and_writes_nothing(api, item, snapshot_of):
    api.patch(f"/api/v1/inventory/{item['id']}", {"reserved_quantity": 6})
    before = snapshot_of(item["id"])
    response = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -5, "reason_code": "SALE"})
    assert response.status == 409
    assert response.error["code"] == "insufficient_available"
    assert snapshot_of(item["id"]) == before


def test_sale_out_of_quarantine_is_refused(api, location, snapshot_of):
    held = api.item(location["id"], room_type="quarantine", sku="Q")
    before = snapshot_of(held["id"])
    response = api.patch(f"/api/v1/inventory/{held['id']}", {"quantity_change": -1, "reason_code": "SALE"})
    assert response.status == 422
    assert response.error["code"] == "sale_from_quarantine"
    assert response.field_names() == ["reason_code"]
    assert snapshot_of(held["id"]) == before


def test_stale_if_match_is_412_and_writes_nothing(api, item, snapshot_of):
    before = snapshot_of(item["id"])
    response = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"},
                         headers={"If-Match": '"7"'})
    assert response.status == 412
    assert response.error["code"] == "version_mismatch"
    assert snapshot_of(item["id"]) == before


def test_malformed_if_match_is_400(api, item):
    response = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": 1, "reason_code": "RETURN"},
                         headers={"If-Match": "yesterday"})
    assert response.status == 400 and response.error["code"] == "invalid_if_match"


def test_invalid_json_is_400(api, item, snapshot_of):
    before = snapshot_of(item["id"])
    response = api.patch(f"/api/v1/inventory/{item['id']}", raw=b'{"quantity_change": -1,')
    assert response.status == 400 and response.error["code"] == "invalid_json"
    assert snapshot_of(item["id"]) == before


def test_non_object_body_is_400(api, item):
    response = api.patch(f"/api/v1/inventory/{item['id']}", [1, 2])
    assert response.status == 400 and response.error["code"] == "invalid_body"


def test_nan_is_not_a_number(api, item):
    response = api.patch(f"/api/v1/inventory/{item['id']}", raw=b'{"quantity_change": NaN, "reason_code": "SALE"}')
    assert response.status == 400 and response.error["code"] == "invalid_json"


def test_non_json_content_type_is_415(api, item):
    response = api.patch(f"/api/v1/inventory/{item['id']}", raw=b"quantity_change=-1",
                         content_type="application/x-www-form-urlencoded")
    assert response.status == 415
    assert response.error["code"] == "unsupported_media_type"


def test_oversized_body_is_413(api, location):
    response = api.post("/api/v1/inventory", raw=b'{"notes": "' + b"x" * 1_100_000 + b'"}')
    assert response.status == 413
    assert response.error["code"] == "payload_too_large"


def test_wrong_method_is_405_with_allow(api, item):
    response = api.request("PUT", f"/api/v1/inventory/{item['id']}")
    assert response.status == 405
    assert response.error["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}


def test_options_answers_allow_and_cors(api):
    response = api.request("OPTIONS", "/api/v1/inventory")
    assert response.status == 204
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Idempotency-Key" in response.headers["Access-Control-Allow-Headers"]


def test_unknown_route_is_404(api):
    response = api.get("/api/v1/nothing-here")
    assert response.status == 404 and response.error["code"] == "route_not_found"


@pytest.mark.parametrize("query, field", [
    ({"limit": 201}, "limit"), ({"limit": 0}, "limit"), ({"page": 0}, "page"),
    ({"room_type": "attic"}, "room_type"), ({"low_stock": "maybe"}, "low_stock"),
    ({"updated_after": "last tuesday"}, "updated_after"), ({"colour": "green"}, "colour"),
])
def test_bad_list_parameters_are_422_with_field(api, query, field):
    response = api.get("/api/v1/inventory", query=query)
    assert response.status == 422, response
    assert response.field_names() == [field]


@pytest.mark.parametrize("override, field", [
    ({"room_type": "attic"}, "room_type"), ({"unit": "bushel"}, "unit"),
    ({"quantity": -1}, "quantity"), ({"unit_cost": Decimal("-1")}, "unit_cost"),
    ({"unit_price": Decimal("1.00001")}, "unit_price"), ({"quantity": Decimal("1.5")}, "quantity"),
    ({"reserved_quantity": 11}, "reserved_quantity"), ({"sku": ""}, "sku"),
    ({"product_name": "x" * 201}, "product_name"), ({"location_id": "loc nope"}, "location_id"),
])
def test_bad_create_is_422_and_creates_nothing(api, location, override, field):
    body = {"product_id": "p", "product_name": "n", "sku": "S", "room_type": "vault",
            "quantity": 10, "location_id": location["id"], **override}
    response = api.post("/api/v1/inventory", body)
    assert response.status == 422, response
    assert field in response.field_names()
    assert api.get("/api/v1/inventory").json["pagination"]["total"] == 0


def test_create_at_unknown_location_is_404(api):
    response = api.post("/api/v1/inventory", {"product_id": "p", "product_name": "n", "sku": "S",
                                              "room_type": "vault", "location_id": "loc_nope"})
    assert response.status == 404 and response.field_names() == ["location_id"]


def test_duplicate_sku_in_same_place_is_409(api, item, location):
    response = api.post("/api/v1/inventory", {"product_id": "p", "product_name": "n", "sku": item["sku"],
                                              "room_type": item["room_type"], "location_id": location["id"]})
    assert response.status == 409 and response.error["code"] == "duplicate_item"


def test_bad_time_zone_is_422(api):
    response = api.post("/api/v1/locations", {"name": "X", "time_zone": "Mars/Olympus"})
    assert response.status == 422 and response.field_names() == ["time_zone"]
    assert api.get("/api/v1/locations").json["data"] == []


def test_archive_with_stock_is_refused(api, item):
    response = api.delete(f"/api/v1/inventory/{item['id']}")
    assert response.status == 409 and response.error["code"] == "item_has_stock"
    assert api.get("/api/v1/inventory").json["pagination"]["total"] == 1


def test_adjusting_an_archived_item_is_409(api, location):
    empty = api.item(location["id"], quantity=0, sku="E")
    assert api.delete(f"/api/v1/inventory/{empty['id']}").status == 200
    response = api.patch(f"/api/v1/inventory/{empty['id']}", {"quantity_change": 1, "reason_code": "RETURN"})
    assert response.status == 409 and response.error["code"] == "item_archived"
