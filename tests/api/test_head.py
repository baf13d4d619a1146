"""HEAD on every GET route (RFC 9110 9.3.2): the status and headers GET would send, no body —
through the local gateway, from each function's own functions-framework app, through the proxy
the cloud topology uses, and over real HTTP from the local server."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import functions_framework
import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from inventory import bootstrap
from inventory.http.openapi import is_native
from inventory.local.gateway import Gateway, HttpProxy
from inventory.local.loopback import free_port
from inventory.manifest import load
from pos_server import PosServer

MANIFEST = load()
# The native API's GET routes; a dialect's HEAD is tested with the dialect (test_cannlytics_api.py).
NATIVE = [f for f in MANIFEST.functions if not f.routes or is_native(f)]
GET_ROUTES = [route for f in NATIVE for route in f.routes if route.method == "GET"]
# Headers that differ between any two responses, whatever the method.
PER_RESPONSE = {"x-request-id", "date"}


@pytest.fixture
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    bootstrap.reset()


@pytest.fixture
def world(loopback_allowed, api, location, item):
    """Something behind every GET route's parameters: an item, a location with a POS connection,
    a sync run, a webhook subscription, a documentation asset."""
    pos = PosServer([])
    try:
        connected = api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                                {"kind": "http", "settings": {"base_url": pos.url}, "secret": "t"})
        assert connected.status == 200, connected
        queued = api.post("/api/v1/inventory/sync", {"location_id": location["id"], "sync_type": "full"})
        assert queued.status == 202, queued
        hook = api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"]})
        assert hook.status == 201, hook
        counted = api.request("PATCH", f"/api/v1/inventory/{item['id']}", {"quantity": 9})
        assert counted.status == 200, counted
        opening = api.get(f"/api/v1/inventory/{item['id']}/changes").json["data"][-1]
        elsewhere = api.post("/api/v1/locations", {"name": "Elsewhere", "time_zone": "UTC"})
        moved = api.post("/api/v1/inventory/transfers", {
            "from_item_id": item["id"], "to_location_id": elsewhere.json["data"]["id"], "quantity": 1})
        assert moved.status in (200, 201), moved
        today = datetime.now(ZoneInfo(location["time_zone"])).date().isoformat()
        kept = api.post("/api/v1/product-inventory/", {"date": today, "shop_id": location["id"],
                                                       "product_id": item["product_id"], "qty": 9})
        assert kept.status == 201, kept
        yield {"item_id": item["id"], "location_id": location["id"],
               # Square's dialect: the item's product, its opening adjustment and the count above
               "catalog_object_id": item["product_id"], "adjustment_id": opening["id"],
               "physical_count_id": counted.json["change"]["id"],
               "transfer_id": moved.json["data"]["transfer_id"],  # between two sales floors
               "sync_id": queued.json["data"]["id"], "subscription_id": hook.json["data"]["id"],
               "asset": "swagger-ui.css",
               # Datawiz's dialect: the row kept above
               "row_id": f"{today}_{location['id']}_{item['product_id']}"}
    finally:
        pos.stop()


def url_of(route, world: dict) -> str:
    path = route.path
    for name, value in world.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"{route.path}: give the test a value for its parameter"
    if path.endswith("/inventory/snapshot"):
        at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        path += f"?location_id={world['location_id']}&at={at}"
    return path


def comparable(headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in PER_RESPONSE}


def assert_head_mirrors_get(client: Client, path: str, headers: dict) -> int:
    got = client.get(path, headers=headers)
    head = client.head(path, headers=headers)
    assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
    assert comparable(head.headers) == comparable(got.headers), path
    assert head.get_data() == b"", path
    assert int(head.headers["Content-Length"]) == len(got.get_data()), path
    return got.status_code


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda r: r.path)
def test_head_answers_as_get_without_a_body_through_the_gateway(route, gateway, api, world):
    status = assert_head_mirrors_get(Client(gateway), url_of(route, world),
                                     {"Authorization": f"Bearer {api.key}"})
    assert status == 200


def test_head_answers_every_get_route_of_each_function_alone(api, world):
    """Each function's own app, as `functions-framework --target NAME` serves it: no gateway."""
    auth = {"Authorization": f"Bearer {api.key}"}
    for function in NATIVE:
        routes = [route for route in function.routes if route.method == "GET"]
        if not routes:
            continue
        client = Client(functions_framework.create_app(target=function.name, source=str(function.main)))
        for route in routes:
            assert assert_head_mirrors_get(client, url_of(route, world), auth) == 200, route.path
        # Refusals too: same status and headers, no body.
        path = url_of(routes[0], world)
        assert_head_mirrors_get(client, path, {})  # no key: 401 (200 where the route is public)
        assert_head_mirrors_get(client, path, {"Authorization": "Bearer sk_unknown"})


def test_head_mirrors_refusals_and_is_in_allow(gateway, api, item):
    client, auth = Client(gateway), {"Authorization": f"Bearer {api.key}"}
    assert assert_head_mirrors_get(client, "/api/v1/inventory/itm_nope", auth) == 404
    assert assert_head_mirrors_get(client, "/api/v1/inventory?limit=0", auth) == 422
    assert assert_head_mirrors_get(client, "/api/v1/inventory", {}) == 401
    assert assert_head_mirrors_get(client, "/api/v1/nothing-here", auth) == 404  # the gateway's own
    # A path without GET has no HEAD either: 405, and Allow says what it takes.
    refused = client.head("/api/v1/webhooks/whk_1/rotate-secret", headers=auth)
    assert refused.status_code == 405 and refused.get_data() == b""
    assert set(refused.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    options = client.options(f"/api/v1/inventory/{item['id']}", headers=auth)
    assert set(options.headers["Allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}


def test_head_through_the_proxy_keeps_the_length_get_would_send(api, item):
    """The cloud topology's gateway forwards to each function's own server (HttpProxy)."""
    function = MANIFEST.function("get_inventory_item")
    app = functions_framework.create_app(target=function.name, source=str(function.main))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        gateway = Gateway(backends={function.name: HttpProxy(f"http://127.0.0.1:{server.server_port}")})
        assert assert_head_mirrors_get(Client(gateway), f"/api/v1/inventory/{item['id']}",
                                       {"Authorization": f"Bearer {api.key}"}) == 200
    finally:
        server.shutdown()
        server.server_close()


def raw_exchange(port: int, method: str, path: str, key: str) -> tuple[str, dict[str, str], bytes]:
    """One request on its own connection, and everything the server sent until it closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           f"Authorization: Bearer {key}\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status.split(" ", 2)[1], headers, body


def test_the_local_server_answers_head_with_headers_and_no_body(tmp_path):
    from cloud.test_manifest_and_processes import _wait_for
    port = free_port()
    env = dict(os.environ, INVENTORY_DATA_DIR=str(tmp_path / "data"), INVENTORY_STORE="sqlite")
    process = subprocess.Popen([sys.executable, "-m", "inventory.local.server", "--port", str(port)],
                               cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/v1/inventory", process)
        key = (tmp_path / "data" / "demo-api-key").read_text().strip()
        for path in ("/api/v1/inventory", "/api/v1/inventory?low_stock=true", "/api/v1/locations",
                     "/api/v1/inventory/itm_nope", "/api/v1/docs", "/api/v1/nothing-here"):
            get_status, get_headers, get_body = raw_exchange(port, "GET", path, key)
            status, headers, body = raw_exchange(port, "HEAD", path, key)
            assert status == get_status, path
            assert body == b"", (path, body[:200])
            assert {k: v for k, v in headers.items() if k not in PER_RESPONSE} == \
                {k: v for k, v in get_headers.items() if k not in PER_RESPONSE}, path
            assert int(headers["content-length"]) == len(get_body), path
    finally:
        process.terminate()
        process.wait(timeout=10)
