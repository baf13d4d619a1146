"""What the Square SDK tests share: the local server on both stores, Square's change objects as
an app builds them, and the native view of an item to check them against."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from local_server import LocalServer
from square_sdk.client import SQUARE_VENV, square_sdk

needs_square_sdk = pytest.mark.skipif(not (SQUARE_VENV / ".installed").exists(), reason=(
    "Square's SDK venv .venv-square is missing: `make test` builds it"))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("firestore", marks=pytest.mark.firestore)])
def server(request, tmp_path_factory):
    """The local server as a user runs it, on the embedded store and on the Firestore emulator."""
    env = {}
    if request.param == "firestore":
        env = dict(INVENTORY_STORE="firestore", GOOGLE_CLOUD_PROJECT=f"square-{uuid.uuid4().hex[:10]}",
                   FIRESTORE_EMULATOR_HOST=request.getfixturevalue("firestore_emulator"))
    running = LocalServer(tmp_path_factory.mktemp("square") / "data", **env)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def location_id(server) -> str:
    return server.call("GET", "/locations").json()["data"][0]["id"]


@pytest.fixture(scope="module")
def other_location_id(server) -> str:
    made = server.call("POST", "/locations", {"name": "Second shop", "time_zone": "America/Denver"})
    assert made.status_code == 201, made.text
    return made.json()["data"]["id"]


def sdk(server, calls, sdk="modern"):
    token = (server.data_dir / "demo-api-key").read_text().strip()
    return square_sdk(f"http://127.0.0.1:{server.port}", token, calls, sdk)


def now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def new_item(server, location_id, quantity=10, room_type="sales_floor", unit="each") -> dict:
    product = f"sq_{uuid.uuid4().hex[:10]}"
    created = server.call("POST", "/inventory", {
        "product_id": product, "product_name": "Square test", "sku": product.upper(),
        "location_id": location_id, "room_type": room_type, "unit": unit, "quantity": quantity})
    assert created.status_code == 201, created.text
    return created.json()["data"]


def adjustment(item, from_state, to_state, quantity, **extra) -> dict:
    return {"type": "ADJUSTMENT", "adjustment": {
        "from_state": from_state, "to_state": to_state, "location_id": item["location_id"],
        "catalog_object_id": item["product_id"], "quantity": quantity, "occurred_at": now(), **extra}}


def count(item, quantity, state="IN_STOCK", **extra) -> dict:
    return {"type": "PHYSICAL_COUNT", "physical_count": {
        "catalog_object_id": item["product_id"], "state": state, "location_id": item["location_id"],
        "quantity": quantity, "occurred_at": now(), **extra}}


def transfer(item, to_location_id, quantity, state="IN_STOCK", **extra) -> dict:
    return {"type": "TRANSFER", "transfer": {
        "catalog_object_id": item["product_id"], "state": state,
        "from_location_id": item["location_id"], "to_location_id": to_location_id,
        "quantity": quantity, "occurred_at": now(), **extra}}


def batch(changes, key=None) -> dict:
    return {"method": "batch_create_changes",
            "kwargs": {"idempotency_key": key or uuid.uuid4().hex, "changes": changes}}


def native_state(server, item) -> tuple[str, list[dict]]:
    quantity = server.call("GET", f"/inventory/{item['id']}").json()["data"]["quantity"]
    return quantity, server.call("GET", f"/inventory/{item['id']}/changes").json()["data"]
