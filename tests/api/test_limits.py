"""Limits, each a clear 4xx in the error envelope that names the field, on every function that
takes the input — the cases tests/api/test_refusals.py does not already cover (there: PATCH and
create-item refusals, one 413 and one 415)."""
from __future__ import annotations

from decimal import Decimal

import pytest

BODY_ROUTES = [("POST", "/api/v1/inventory"), ("POST", "/api/v1/inventory/bulk-update"),
               ("POST", "/api/v1/inventory/transfers"), ("POST", "/api/v1/inventory/sync"),
               ("POST", "/api/v1/locations"), ("POST", "/api/v1/webhooks")]


def good_item(location_id: str, **override) -> dict:
    return {"product_id": "p", "product_name": "n", "sku": "S", "room_type": "vault",
            "quantity": 10, "location_id": location_id, **override}


@pytest.mark.parametrize("method, path", BODY_ROUTES)
def test_every_body_over_the_limit_is_413(api, method, path):
    response = api.request(method, path, raw=b'{"notes": "' + b"x" * 1_100_000 + b'"}')
    assert response.status == 413, response
    assert response.error["code"] == "payload_too_large"


@pytest.mark.parametrize("method, path", BODY_ROUTES)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_every_body_not_sent_as_json_is_415(api, method, path, content_type):
    response = api.request(method, path, raw=b'{"name": "x"}', content_type=content_type)
    assert response.status == 415, response
    assert response.error["code"] == "unsupported_media_type"
    assert response.field_names() == ["Content-Type"]


def test_json_with_a_charset_is_accepted(api):
    response = api.post("/api/v1/locations", raw=b'{"name": "A", "time_zone": "UTC"}',
                        content_type="application/json; charset=utf-8")
    assert response.status == 201, response


@pytest.mark.parametrize("path", ["/api/v1/inventory", "/api/v1/events", "/api/v1/inventory/{item}/changes",
                                  "/api/v1/inventory/snapshot"])
@pytest.mark.parametrize("limit, accepted", [(0, False), (-1, False), ("ten", False), (1, True),
                                             (200, True), (10**12, False)])
def test_list_limit_bounds(api, item, path, limit, accepted):
    query = {"limit": limit}
    if "snapshot" in path:
        query.update(location_id=item["location_id"], date="2026-01-01")
    response = api.get(path.format(item=item["id"]), query=query)
    if accepted:
        assert response.status == 200, response
        assert response.json["pagination"]["limit"] == limit
    else:
        assert response.status == 422, response
        assert response.field_names() == ["limit"]


def test_list_limit_above_the_maximum_is_refused_on_each_list(api, item):
    for path, maximum in [("/api/v1/inventory", 200), ("/api/v1/events", 200),
                          (f"/api/v1/inventory/{item['id']}/changes", 200)]:
        response = api.get(path, query={"limit": maximum + 1})
        assert response.status == 422 and response.field_names() == ["limit"], (path, response)


def test_bulk_of_exactly_500_is_accepted(api, item):
    line = {"id": item["id"], "quantity_change": 1, "reason_code": "RETURN"}
    response = api.post("/api/v1/inventory/bulk-update", {"updates": [line] * 500})
    assert response.status == 200, response
    assert response.json["data"][0]["quantity"] == 510


@pytest.mark.parametrize("field, longest, too_long", [
    ("product_name", 200, 201), ("sku", 100, 101), ("product_id", 100, 101),
    ("category", 100, 101), ("notes", 1000, 1001)])
def test_item_string_lengths(api, location, field, longest, too_long):
    accepted = api.post("/api/v1/inventory", good_item(location["id"], **{"sku": "L", field: "x" * longest}))
    assert accepted.status == 201, accepted
    refused = api.post("/api/v1/inventory", good_item(location["id"], **{"sku": "R", field: "x" * too_long}))
    assert refused.status == 422 and refused.field_names() == [field], refused
    assert refused.error["fields"][0]["code"] == "string_too_long"


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/locations", {"name": "x" * 201, "time_zone": "UTC"}, "name"),
    ("/api/v1/locations", {"name": "", "time_zone": "UTC"}, "name"),
    ("/api/v1/webhooks", {"url": "https://example.com/" + "x" * 2040, "events": ["*"]}, "url"),
    ("/api/v1/webhooks", {"url": "https://example.com/h", "events": ["*"], "description": "x" * 501},
     "description"),
    ("/api/v1/webhooks", {"url": "https://example.com/h", "events": ["*"] * 11}, "events"),
    ("/api/v1/inventory/transfers", {"from_item_id": "x" * 65, "to_room_type": "vault", "quantity": 1},
     "from_item_id"),
])
def test_other_string_and_list_lengths(api, path, body, field):
    response = api.post(path, body)
    assert response.status == 422, response
    assert response.field_names() == [field]


@pytest.mark.parametrize("field, value, accepted", [
    ("quantity", Decimal("999999999"), True), ("quantity", Decimal("1000000000"), False),
    ("unit_cost", Decimal("99999999.9999"), True), ("unit_cost", Decimal("100000000"), False),
    ("unit_price", Decimal("-0.01"), False), ("low_stock_threshold", Decimal("-1"), False),
    ("quantity", Decimal("1.125"), True), ("quantity", Decimal("1.1255"), False),
    ("unit_cost", Decimal("1.1255"), True), ("unit_cost", Decimal("1.12555"), False),
    ("quantity", True, False), ("unit_cost", "3.50", False),
])
def test_numeric_ranges_and_decimal_places(api, location, field, value, accepted):
    body = good_item(location["id"], sku=f"N{field}{value}", unit="g", **{field: value})
    response = api.post("/api/v1/inventory", body)
    if accepted:
        assert response.status == 201, response
        assert Decimal(str(response.json["data"][field])) == value
    else:
        assert response.status == 422, response
        assert response.field_names() == [field]


def test_numbers_come_back_exact_without_float_drift(api, location):
    created = api.post("/api/v1/inventory", good_item(location["id"], unit="g", quantity=Decimal("0.1"),
                                                      unit_cost=Decimal("0.0001"))).json["data"]
    assert created["quantity"] == Decimal("0.1") and created["unit_cost"] == Decimal("0.0001")


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/locations", {"name": "A", "time_zone": "UTC", "colour": "red"}, "colour"),
    ("/api/v1/webhooks", {"url": "https://example.com/h", "events": ["*"], "secret": "mine"}, "secret"),
    ("/api/v1/inventory/transfers", {"from_item_id": "i", "to_room_type": "vault", "quantity": 1,
                                     "force": True}, "force"),
    ("/api/v1/inventory/sync", {"location_id": "l", "sync_type": "full", "dry_run": True}, "dry_run"),
])
def test_unknown_fields_are_refused_by_name(api, path, body, field):
    response = api.post(path, body)
    assert response.status == 422, response
    assert {"field": field, "code": "unknown_field", "message": "unknown field"} in response.error["fields"]


def test_unknown_field_in_a_bulk_line_names_its_index(api, item):
    response = api.post("/api/v1/inventory/bulk-update", {"updates": [
        {"id": item["id"], "quantity_change": 1, "reason_code": "RETURN", "price": 3}]})
    assert response.status == 422
    assert response.field_names() == ["updates[0].price"]
    assert response.error["fields"][0]["code"] == "unknown_field"


def test_unknown_field_on_create_item_is_refused_by_name(api, location):
    response = api.post("/api/v1/inventory", good_item(location["id"], thc_percent=21))
    assert response.status == 422 and response.field_names() == ["thc_percent"]


@pytest.mark.parametrize("key, accepted", [
    ("a", True), ("x" * 255, True), ("order-42:line.7_b", True),
    ("x" * 256, False), ("has space", False), ("slash/key", False), ("ünï", False), ("", False),
])
def test_idempotency_key_format(api, key, accepted):
    response = api.post("/api/v1/locations", {"name": "A", "time_zone": "UTC"}, idempotency_key=key)
    if accepted:
        assert response.status == 201, response
    else:
        assert response.status == 400, response
        assert response.error["code"] in ("invalid_idempotency_key", "idempotency_key_required")
        assert response.field_names() == ["Idempotency-Key"]
        assert api.get("/api/v1/locations").json["data"] == []
