"""Seed 003's own calls, sent exactly as it writes them (no Idempotency-Key), succeed and move
the quantities they say. Without a key a write is applied once per request and nothing is stored
for replay; an organization that requires keys (inventory-admin) refuses keyless writes."""
from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import events_of
from inventory import bootstrap, cli
from inventory.service import sync
from pos_server import PosServer

# The seed's bodies, byte for byte as it writes them; {…} is filled with this test's ids.
SEED_PATCH = '{"quantity_change": -5, "reason_code": "SALE", "notes": "Customer purchase"}'
SEED_BULK = ('{"updates": [{"id": "%s", "quantity_change": -2, "reason_code": "SALE"}, '
             '{"id": "%s", "quantity_change": 10, "reason_code": "RETURN", "notes": "Restock"}]}')
SEED_SYNC = '{"location_id": "%s", "sync_type": "full"}'


def as_written(api, method: str, path: str, body: str):
    """The request with only the headers the seed sends: Authorization and Content-Type."""
    return api.request(method, path, raw=body.encode(), idempotency_key=False)


def quantity(api, item_id: str) -> Decimal:
    return api.get(f"/api/v1/inventory/{item_id}").json["data"]["quantity"]


def stored_idempotency_records(services, organization_id: str) -> int:
    """How many responses the store keeps for replay for this organization (read straight from it)."""
    store = services.store
    if services.settings.store == "sqlite":
        return store._query("SELECT COUNT(*) FROM idempotency WHERE organization_id = ?",
                            [organization_id])[0][0]
    query = store.client.collection("idempotency").where("organization_id", "==", organization_id)
    return len(list(query.get()))


@pytest.fixture
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    bootstrap.reset()


def require_keys(organization_id: str, required: bool) -> None:
    """The operator's switch, through the admin CLI."""
    assert cli.main(["set-organization", organization_id,
                     "--require-idempotency-key", "yes" if required else "no"]) == 0


def test_the_seeds_calls_sent_as_written_succeed_and_move_their_quantities(
        loopback_allowed, api, location, services):
    flower = api.item(location["id"], sku="BD-35", quantity=50)
    gummies = api.item(location["id"], sku="MG-10", quantity=6)

    patched = as_written(api, "PATCH", f"/api/v1/inventory/{flower['id']}", SEED_PATCH)
    assert patched.status == 200, patched
    assert patched.json["data"]["quantity"] == 45 and "Idempotent-Replayed" not in patched.headers
    assert patched.json["change"]["notes"] == "Customer purchase"
    assert patched.json["change"]["reason_code"] == "SALE"

    bulk = as_written(api, "POST", "/api/v1/inventory/bulk-update",
                      SEED_BULK % (flower["id"], gummies["id"]))
    assert bulk.status == 200, bulk
    assert quantity(api, flower["id"]) == 43 and quantity(api, gummies["id"]) == 16

    pos = PosServer([{"sku": "BD-35", "quantity": 40, "updated_at": "2026-11-01T10:00:00Z"},
                     {"sku": "MG-10", "quantity": 16, "updated_at": "2026-11-01T10:00:00Z"}])
    try:
        connected = api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                                {"kind": "http", "settings": {"base_url": pos.url},
                                 "secret": "pos-token"}, idempotency_key=False)
        assert connected.status == 200, connected
        queued = as_written(api, "POST", "/api/v1/inventory/sync", SEED_SYNC % location["id"])
        assert queued.status == 202, queued
        done = sync.run_sync(bootstrap.services(), queued.json["data"]["id"])  # the worker's part
    finally:
        pos.stop()
    assert done.status.value == "succeeded", done.error
    assert (done.summary.updated, done.summary.unchanged) == (1, 1)
    assert quantity(api, flower["id"]) == 40 and quantity(api, gummies["id"]) == 16
    # Every quantity is still explained by its ledger.
    for item in (flower, gummies):
        assert sum(c["quantity_change"] for c in api.changes(item["id"])) == quantity(api, item["id"])


def test_without_a_key_each_request_is_applied_and_nothing_is_kept_for_replay(api, item, services):
    path = f"/api/v1/inventory/{item['id']}"
    kept = stored_idempotency_records(services, api.organization_id)  # the fixtures' keyed writes
    first = as_written(api, "PATCH", path, '{"quantity_change": -2, "reason_code": "SALE"}')
    second = as_written(api, "PATCH", path, '{"quantity_change": -2, "reason_code": "SALE"}')
    assert first.status == second.status == 200
    assert "Idempotent-Replayed" not in second.headers
    assert first.json["change"]["id"] != second.json["change"]["id"]
    assert quantity(api, item["id"]) == 6
    changes = api.changes(item["id"])
    assert [c["idempotency_key"] for c in changes[:2]] == [None, None]
    assert len([e for e in events_of(api) if e["type"] == "inventory.updated"]) == 3  # create + 2
    assert stored_idempotency_records(services, api.organization_id) == kept


def test_with_a_key_a_write_still_happens_exactly_once(api, item):
    path = f"/api/v1/inventory/{item['id']}"
    body = {"quantity_change": -2, "reason_code": "SALE"}
    first = api.patch(path, body, idempotency_key="sale-77")
    again = api.patch(path, body, idempotency_key="sale-77")
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert quantity(api, item["id"]) == 8


def keyless_writes(api, location: dict, item: dict) -> dict[str, tuple[str, str, str]]:
    """One keyless write of each kind the seed makes, and more: method, path, body."""
    return {
        "patch": ("PATCH", f"/api/v1/inventory/{item['id']}", SEED_PATCH),
        "bulk": ("POST", "/api/v1/inventory/bulk-update", SEED_BULK % (item["id"], item["id"])),
        "sync": ("POST", "/api/v1/inventory/sync", SEED_SYNC % location["id"]),
        "create": ("POST", "/api/v1/inventory",
                   '{"product_id": "p2", "product_name": "OG", "sku": "OG-1", '
                   '"room_type": "vault", "location_id": "%s"}' % location["id"]),
        "location": ("POST", "/api/v1/locations", '{"name": "Boulder", "time_zone": "America/Denver"}'),
        "archive": ("DELETE", f"/api/v1/inventory/{item['id']}", ""),
    }


def test_an_organization_that_requires_keys_refuses_keyless_writes_and_writes_nothing(
        api, other_api, location, item, services):
    require_keys(api.organization_id, True)
    before = (quantity(api, item["id"]), len(api.changes(item["id"])), len(events_of(api)),
              len(api.get("/api/v1/inventory").json["data"]), len(api.get("/api/v1/locations").json["data"]))
    for name, (method, path, body) in keyless_writes(api, location, item).items():
        response = api.request(method, path, raw=body.encode() if body else None, idempotency_key=False)
        assert response.status == 400, (name, response)
        assert response.error["code"] == "idempotency_key_required", name
        assert response.field_names() == ["Idempotency-Key"], name
    after = (quantity(api, item["id"]), len(api.changes(item["id"])), len(events_of(api)),
             len(api.get("/api/v1/inventory").json["data"]), len(api.get("/api/v1/locations").json["data"]))
    assert after == before

    # With a key the same write goes through, once.
    path = f"/api/v1/inventory/{item['id']}"
    keyed = api.request("PATCH", path, raw=SEED_PATCH.encode(), idempotency_key="sale-1")
    replayed = api.request("PATCH", path, raw=SEED_PATCH.encode(), idempotency_key="sale-1")
    assert keyed.status == 200 and replayed.headers["Idempotent-Replayed"] == "true"
    assert quantity(api, item["id"]) == 5

    # The setting is the organization's: another one is not bound by it, and it can be lifted.
    theirs = other_api.location()
    assert as_written(other_api, "POST", "/api/v1/inventory",
                      '{"product_id": "p", "product_name": "P", "sku": "P-1", "room_type": "vault",'
                      ' "location_id": "%s", "quantity": 3}' % theirs["id"]).status == 201
    require_keys(api.organization_id, False)
    assert as_written(api, "PATCH", path, SEED_PATCH).status == 200
    assert quantity(api, item["id"]) == 0


def test_the_admin_cli_creates_and_changes_the_setting(services, capsys):
    assert cli.main(["create-organization", "Strict", "--require-idempotency-key"]) == 0
    printed = capsys.readouterr().out
    organization_id = printed.split("organization: ", 1)[1].split()[0]
    assert "Idempotency-Key: required" in printed
    assert services.store.get_organization(organization_id).require_idempotency_key is True
    require_keys(organization_id, False)
    assert "Idempotency-Key: optional" in capsys.readouterr().out
    assert services.store.get_organization(organization_id).require_idempotency_key is False
    assert cli.main(["create-organization", "Relaxed"]) == 0
    relaxed = capsys.readouterr().out.split("organization: ", 1)[1].split()[0]
    assert services.store.get_organization(relaxed).require_idempotency_key is False
    assert cli.main(["set-organization", "org_nope", "--require-idempotency-key", "yes"]) == 1
    assert "no organization org_nope" in capsys.readouterr().err
