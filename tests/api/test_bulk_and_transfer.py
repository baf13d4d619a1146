"""Bulk updates are all or nothing; transfers move stock as two TRANSFER entries sharing an id."""
from __future__ import annotations

from decimal import Decimal

from conftest import events_of


def test_bulk_update_applies_every_change(api, location, services):
    a = api.item(location["id"], sku="A", quantity=10)
    b = api.item(location["id"], sku="B", quantity=5)
    start = len(events_of(api))
    response = api.post("/api/v1/inventory/bulk-update", {"updates": [
        {"id": a["id"], "quantity_change": -3, "reason_code": "SALE"},
        {"id": b["id"], "quantity_change": 2, "reason_code": "RETURN", "notes": "refund"},
        {"id": a["id"], "quantity": 6},
    ]})
    assert response.status == 200, response
    assert [i["quantity"] for i in response.json["data"]] == [6, 7]
    assert [c["reason_code"] for c in response.json["changes"]] == ["SALE", "RETURN", "AUDIT"]
    assert [c["quantity_change"] for c in api.changes(a["id"])] == [-1, -3, 10]
    assert api.get(f"/api/v1/inventory/{a['id']}").json["data"]["version"] == 3
    assert len([e for e in events_of(api)[start:] if e["type"] == "inventory.updated"]) == 3


def test_bulk_update_refuses_all_with_per_index_errors(api, location):
    a = api.item(location["id"], sku="A", quantity=10)
    b = api.item(location["id"], sku="B", quantity=5)
    response = api.post("/api/v1/inventory/bulk-update", {"updates": [
        {"id": a["id"], "quantity_change": -3, "reason_code": "SALE"},
        {"id": b["id"], "quantity_change": -6, "reason_code": "SALE"},
        {"id": "itm_missing", "quantity_change": 1, "reason_code": "RETURN"},
    ]})
    assert response.status == 422, response
    assert response.error["code"] == "bulk_update_refused"
    assert response.field_names() == ["updates[1].quantity_change", "updates[2].id"]
    assert [f["code"] for f in response.error["fields"]] == ["negative_stock", "item_not_found"]
    assert api.get(f"/api/v1/inventory/{a['id']}").json["data"]["quantity"] == 10
    assert len(api.changes(a["id"])) == 1


def test_bulk_line_validation_names_the_index(api, item):
    response = api.post("/api/v1/inventory/bulk-update", {"updates": [
        {"id": item["id"], "quantity_change": -1, "reason_code": "SALE"},
        {"id": item["id"], "quantity_change": -1},
    ]})
    assert response.status == 422
    assert response.field_names() == ["updates[1].reason_code"]


def test_bulk_update_over_500_is_refused(api, item):
    line = {"id": item["id"], "quantity_change": 1, "reason_code": "RETURN"}
    response = api.post("/api/v1/inventory/bulk-update", {"updates": [line] * 501})
    assert response.status == 422 and response.field_names() == ["updates"]
    assert api.post("/api/v1/inventory/bulk-update", {"updates": []}).status == 422


def test_transfer_to_another_room_creates_the_destination(api, location, services):
    vault = api.item(location["id"], sku="BD", room_type="vault", quantity=Decimal("100.5"), unit="g",
                     unit_cost=Decimal("3.10"))
    response = api.post("/api/v1/inventory/transfers", {"from_item_id": vault["id"],
                                                        "to_room_type": "sales_floor",
                                                        "quantity": Decimal("20.25")})
    assert response.status == 201, response
    data = response.json["data"]
    assert data["from_item"]["quantity"] == Decimal("80.25")
    assert data["to_item"]["quantity"] == Decimal("20.25")
    assert data["to_item"]["room_type"] == "sales_floor" and data["to_item"]["sku"] == "BD"
    assert data["to_item"]["unit_cost"] == Decimal("3.1")
    out, into = data["changes"]
    assert out["transfer_id"] == into["transfer_id"] == data["transfer_id"]
    assert (out["reason_code"], into["reason_code"]) == ("TRANSFER", "TRANSFER")
    assert (out["quantity_change"], into["quantity_change"]) == (Decimal("-20.25"), Decimal("20.25"))
    assert sum(c["quantity_change"] for c in api.changes(data["to_item"]["id"])) == Decimal("20.25")


def test_transfer_to_another_location_adds_to_an_existing_item(api, location):
    boulder = api.location("Boulder")
    source = api.item(location["id"], sku="BD", quantity=10)
    target = api.item(boulder["id"], sku="BD", quantity=1)
    response = api.post("/api/v1/inventory/transfers", {"from_item_id": source["id"],
                                                        "to_location_id": boulder["id"], "quantity": 4})
    assert response.status == 201
    assert response.json["data"]["to_item"]["id"] == target["id"]
    assert api.get(f"/api/v1/inventory/{target['id']}").json["data"]["quantity"] == 5


def test_transfer_beyond_available_is_refused_and_writes_nothing(api, location):
    source = api.item(location["id"], sku="BD", quantity=3, room_type="vault")
    response = api.post("/api/v1/inventory/transfers", {"from_item_id": source["id"],
                                                        "to_room_type": "sales_floor", "quantity": 4})
    assert response.status == 409 and response.error["code"] == "insufficient_available"
    assert api.get("/api/v1/inventory").json["pagination"]["total"] == 1
    assert len(api.changes(source["id"])) == 1


def test_transfer_refusals_name_the_field(api, location):
    source = api.item(location["id"], sku="BD", quantity=3)
    cases = [({"to_room_type": "sales_floor", "quantity": 1}, 422, "to_room_type"),
             ({"to_location_id": "loc_nope", "quantity": 1}, 404, "to_location_id"),
             ({"to_room_type": "vault", "quantity": 0}, 422, "quantity"),
             ({"quantity": 1}, 422, "to_room_type")]
    for body, status, field in cases:
        response = api.post("/api/v1/inventory/transfers", {"from_item_id": source["id"], **body})
        assert response.status == status, (body, response)
        assert response.field_names() == [field]
