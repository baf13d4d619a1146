"""Exactly-once writes, and who may do what: keys, scopes and organizations."""
from __future__ import annotations

from conftest import Api, new_organization
from inventory.domain.codes import Scope
from inventory.service.admin import revoke_api_key
from inventory.service.auth import hash_key


def test_retry_with_same_key_replays_first_response_once(api, item):
    body = {"quantity_change": -2, "reason_code": "SALE"}
    first = api.patch(f"/api/v1/inventory/{item['id']}", body, idempotency_key="order-1001")
    again = api.patch(f"/api/v1/inventory/{item['id']}", body, idempotency_key="order-1001")
    assert first.status == again.status == 200
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert api.get(f"/api/v1/inventory/{item['id']}").json["data"]["quantity"] == 8
    assert len(api.changes(item["id"])) == 2


def test_same_key_with_another_body_is_refused(api, item):
    api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -2, "reason_code": "SALE"},
              idempotency_key="k1")
    response = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -3, "reason_code": "SALE"},
                         idempotency_key="k1")
    assert response.status == 422
    assert response.error["code"] == "idempotency_key_reused"
    assert response.field_names() == ["Idempotency-Key"]
    assert api.get(f"/api/v1/inventory/{item['id']}").json["data"]["quantity"] == 8


def test_key_order_in_body_does_not_matter_for_replay(api, item):
    path = f"/api/v1/inventory/{item['id']}"
    api.patch(path, raw=b'{"quantity_change": -1, "reason_code": "SALE"}', idempotency_key="k2")
    again = api.patch(path, raw=b'{"reason_code": "SALE", "quantity_change": -1}', idempotency_key="k2")
    assert again.status == 200 and again.headers["Idempotent-Replayed"] == "true"


def test_refused_request_is_judged_again_on_retry(api, item):
    path = f"/api/v1/inventory/{item['id']}"
    body = {"quantity_change": -1, "reason_code": "SALE"}
    assert api.patch(path, body, idempotency_key="k3", headers={"If-Match": '"9"'}).status == 412
    assert api.patch(path, body, idempotency_key="k3").status == 200


def test_malformed_idempotency_key_is_400(api, item):
    # A missing key is allowed unless the organization requires one: tests/api/test_seed_calls.py.
    bad = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": 1, "reason_code": "RETURN"},
                    idempotency_key="has spaces")
    assert bad.status == 400 and bad.error["code"] == "invalid_idempotency_key"


def test_idempotency_keys_are_per_organization(api, other_api, item):
    body = {"name": "Shop", "time_zone": "America/Denver"}
    mine = api.post("/api/v1/locations", body, idempotency_key="shared-key")
    theirs = other_api.post("/api/v1/locations", body, idempotency_key="shared-key")
    assert theirs.status == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json["data"]["id"] != mine.json["data"]["id"]


def test_missing_or_unknown_key_is_401(gateway, item):
    for key in (None, "sk_not-a-real-key"):
        response = Api(gateway, key).get("/api/v1/inventory")
        assert response.status == 401
        assert response.error["code"] in ("missing_api_key", "invalid_api_key")
    basic = Api(gateway, None).get("/api/v1/inventory", headers={"Authorization": "Basic abc"})
    assert basic.status == 401


def test_revoked_key_is_401(gateway, services):
    organization_id, secret = new_organization(services)
    key = services.store.find_api_key(hash_key(secret))
    revoke_api_key(services, key)
    assert Api(gateway, secret).get("/api/v1/inventory").status == 401


def test_read_only_key_cannot_write(gateway, services, item):
    _, secret = new_organization(services, scopes=(Scope.INVENTORY_READ,))
    reader = Api(gateway, secret)
    assert reader.get("/api/v1/inventory").status == 200
    response = reader.post("/api/v1/locations", {"name": "X", "time_zone": "UTC"})
    assert response.status == 403 and response.error["code"] == "insufficient_scope"


def test_organization_parameter_for_another_org_is_403(api, other_api, item):
    response = api.get("/api/v1/inventory", query={"organization_id": other_api.organization_id})
    assert response.status == 403 and response.error["code"] == "organization_mismatch"
    assert api.get("/api/v1/inventory", query={"organization_id": api.organization_id}).status == 200
    body = {"name": "X", "time_zone": "UTC", "organization_id": other_api.organization_id}
    assert api.post("/api/v1/locations", body).status == 403


def test_another_organizations_item_is_invisible(api, other_api, item):
    assert other_api.get(f"/api/v1/inventory/{item['id']}").status == 404
    assert other_api.patch(f"/api/v1/inventory/{item['id']}",
                           {"quantity_change": -1, "reason_code": "SALE"}).status == 404
    assert other_api.get(f"/api/v1/inventory/{item['id']}/changes").status == 404
    assert other_api.get("/api/v1/inventory").json["pagination"]["total"] == 0
    assert api.get(f"/api/v1/inventory/{item['id']}").json["data"]["quantity"] == 10


def test_key_forwarded_by_the_gateway_is_accepted(gateway, api, item):
    """Behind API Gateway with private functions the caller's header is X-Forwarded-Authorization."""
    behind_gateway = Api(gateway, None).get(
        "/api/v1/inventory", headers={"Authorization": "Bearer gateway-identity-token",
                                      "X-Forwarded-Authorization": f"Bearer {api.key}"})
    assert behind_gateway.status == 200 and behind_gateway.json["pagination"]["total"] == 1
