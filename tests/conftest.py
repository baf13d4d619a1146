"""Fixtures: every HTTP test runs through the functions' real functions-framework apps, routed
by serverless.yaml, on each store adapter in turn."""
from __future__ import annotations

import itertools
import uuid
from decimal import Decimal
from typing import Any

import pytest
from werkzeug.test import Client

from inventory import bootstrap
from inventory.domain import wire
from inventory.local.gateway import Gateway
from inventory.service.admin import create_api_key, create_organization

pytest_plugins = ["firestore_queries"]

STORES = ["sqlite", pytest.param("firestore", marks=pytest.mark.firestore)]


@pytest.fixture(scope="session")
def gateway() -> Gateway:
    return Gateway()


@pytest.fixture(scope="session")
def firestore_emulator():
    """Google's Firestore emulator on a free loopback port, for the whole run."""
    from inventory.local import emulators
    with emulators.firestore() as host:
        yield host


@pytest.fixture(params=STORES)
def backend(request, tmp_path, monkeypatch) -> str:
    """Configure the store for this test; functions build their services lazily from it.
    On Firestore each test gets a project of its own on the emulator, so tests share nothing."""
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_STORE", request.param)
    if request.param == "firestore":
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", request.getfixturevalue("firestore_emulator"))
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", f"test-{uuid.uuid4().hex[:12]}")
        monkeypatch.setenv("INVENTORY_FEED_SETTLE_S", "0")
    bootstrap.reset()
    yield request.param
    bootstrap.reset()


@pytest.fixture
def services(backend):
    return bootstrap.services()


class Response:
    def __init__(self, raw):
        self.status = raw.status_code
        self.headers = raw.headers
        self.text = raw.get_data(as_text=True)
        self.json = wire.loads(self.text) if self.text and raw.mimetype == "application/json" else None

    @property
    def error(self) -> dict:
        return self.json["error"]

    def field_names(self) -> list[str]:
        return [f["field"] for f in self.error.get("fields", [])]

    def __repr__(self) -> str:
        return f"<{self.status} {self.text[:300]}>"


class Api:
    """A client for one organization's key: JSON with exact decimals, an Idempotency-Key per write."""

    def __init__(self, gateway: Gateway, key: str | None, organization_id: str | None = None):
        self.client = Client(gateway)
        self.key = key
        self.organization_id = organization_id
        self._keys = itertools.count()

    def request(self, method: str, path: str, body: Any = None, *, headers: dict | None = None,
                idempotency_key: str | None | bool = True, raw: bytes | None = None,
                content_type: str = "application/json", query: dict | None = None) -> Response:
        sent = {}
        if self.key:
            sent["Authorization"] = f"Bearer {self.key}"
        if method in ("POST", "PUT", "PATCH", "DELETE") and idempotency_key is not False:
            sent["Idempotency-Key"] = (idempotency_key if isinstance(idempotency_key, str)
                                       else f"test-{uuid.uuid4()}")
        sent.update(headers or {})
        data = raw if raw is not None else (wire.dumps(body).encode() if body is not None else None)
        if data is not None:
            sent.setdefault("Content-Type", content_type)
        return Response(self.client.open(path, method=method, data=data, headers=sent,
                                         query_string=query))

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # Shortcuts that assert success, for arranging a test.
    def location(self, name="Denver", time_zone="America/Denver") -> dict:
        response = self.post("/api/v1/locations", {"name": name, "time_zone": time_zone})
        assert response.status == 201, response
        return response.json["data"]

    def item(self, location_id: str, **fields) -> dict:
        body = {"product_id": "prod_1", "product_name": "Blue Dream 3.5g", "sku": "BD-35",
                "room_type": "sales_floor", "quantity": 10, "location_id": location_id}
        body.update(fields)
        response = self.post("/api/v1/inventory", body)
        assert response.status == 201, response
        return response.json["data"]

    def changes(self, item_id: str) -> list[dict]:
        found, cursor = [], None
        while True:
            response = self.get(f"/api/v1/inventory/{item_id}/changes",
                                query={"limit": 200, **({"cursor": cursor} if cursor else {})})
            assert response.status == 200, response
            found += response.json["data"]
            cursor = response.json["pagination"]["next_cursor"]
            if not cursor:
                return found


def new_organization(services, name="Org", scopes=None) -> tuple[str, str]:
    organization = create_organization(services, name)
    kwargs = {"scopes": scopes} if scopes is not None else {}
    _, secret = create_api_key(services, organization.id, "test key", **kwargs)
    return organization.id, secret


@pytest.fixture
def api(gateway, services) -> Api:
    organization_id, secret = new_organization(services)
    return Api(gateway, secret, organization_id)


@pytest.fixture
def other_api(gateway, services) -> Api:
    organization_id, secret = new_organization(services, "Other")
    return Api(gateway, secret, organization_id)


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 for the test's subscriptions."""
    from receiver import Receiver
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def pos(monkeypatch):
    """A REST POS on 127.0.0.1 serving no rows until the test gives it some (pages of 50)."""
    from pos_server import PosServer
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    bootstrap.reset()
    server = PosServer([], page_size=50)
    yield server
    server.stop()


@pytest.fixture
def location(api) -> dict:
    return api.location()


@pytest.fixture
def item(api, location) -> dict:
    return api.item(location["id"], quantity=10, low_stock_threshold=3,
                    unit_cost=Decimal("12.50"), unit_price=Decimal("35.00"), category="flower")


def events_of(api: Api) -> list[dict]:
    """Every event of the api's organization, in commit order, from the event feed."""
    found, after = [], None
    while True:
        response = api.get("/api/v1/events", query={"limit": 200, **({"after": after} if after else {})})
        assert response.status == 200, response
        found += response.json["data"]
        after = response.json["pagination"]["next_cursor"]
        if not response.json["pagination"]["has_more"]:
            return found
