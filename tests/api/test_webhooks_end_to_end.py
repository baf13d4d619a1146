"""Signed webhooks end to end: the local server, its in-process relay and worker, and real
receivers on 127.0.0.1. Every delivery is verified with the public standardwebhooks library."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from inventory.local.loopback import free_port
from receiver import Receiver

RETRIES = "0.3,0.3,0.3"  # three quick retries after the first attempt, then a dead letter


class Server:
    def __init__(self, data_dir, **env):
        self.port = free_port()
        self.data_dir = data_dir
        self.env = dict(os.environ, INVENTORY_DATA_DIR=str(data_dir), INVENTORY_STORE="sqlite",
                        INVENTORY_WEBHOOK_ALLOW_LOOPBACK="1", INVENTORY_WEBHOOK_RETRY_SCHEDULE=RETRIES,
                        INVENTORY_WEBHOOK_TIMEOUT_S="2", PYTHONUNBUFFERED="1", **env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "inventory.local.server", "--port", str(self.port)],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.base + "/inventory", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or its first answer is slow
                time.sleep(0.1)
        self.key = (data_dir / "demo-api-key").read_text().strip()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.key}"
        self._n = 0

    def call(self, method, path, body=None, **params):
        headers = {}
        if method != "GET":
            self._n += 1
            headers["Idempotency-Key"] = f"e2e-{time.time_ns()}-{self._n}"
        response = self.session.request(method, self.base + path, json=body, params=params,
                                        headers=headers, timeout=10)
        return response

    def item(self, sku="BD-35"):
        items = self.call("GET", "/inventory").json()["data"]
        return next(i for i in items if i["sku"] == sku)

    def deliveries(self, subscription_id):
        return self.call("GET", f"/webhooks/{subscription_id}/deliveries").json()["data"]

    def wait_deliveries(self, subscription_id, predicate, timeout_s=15):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.deliveries(subscription_id)
            if predicate(found):
                return found
            time.sleep(0.1)
        raise AssertionError(f"deliveries never matched: {self.deliveries(subscription_id)}")

    def stop(self) -> str:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=15)
        return out


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path / "data")
    yield running
    if running.process.poll() is None:
        running.stop()


def subscribe(server, url, events=("inventory.updated",)):
    response = server.call("POST", "/webhooks", {"url": url, "events": list(events)})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def verified(received: dict, secret: str) -> dict:
    return Webhook(secret).verify(received["body"], received["headers"])


def test_adjustment_arrives_signed_and_verifiable_and_is_logged(server, receiver):
    subscription = subscribe(server, receiver.url())
    assert subscription["secret"].startswith("whsec_")
    listed = server.call("GET", "/webhooks").json()["data"]
    assert listed[0]["id"] == subscription["id"] and "secret" not in listed[0]
    item = server.item()
    server.call("PATCH", f"/inventory/{item['id']}", {"quantity_change": -2, "reason_code": "SALE"})
    [got] = receiver.wait_for(1)
    payload = verified(got, subscription["secret"])
    assert payload["type"] == "inventory.updated"
    assert payload["data"]["item"]["version"] == item["version"] + 1
    change = payload["data"]["change"]
    assert (change["quantity_before"], change["quantity_after"], change["quantity_change"]) == (48, 46, -2)
    assert change["reason_code"] == "SALE" and change["idempotency_key"].startswith("e2e-")
    assert got["headers"]["webhook-id"].startswith("evt_")
    [logged] = server.wait_deliveries(subscription["id"], lambda d: d and d[0]["state"] == "succeeded")
    assert logged["attempts"] == 1 and logged["last_status_code"] == 200
    assert logged["event_id"] == got["headers"]["webhook-id"]
    out = server.stop()
    assert subscription["secret"] not in out and got["headers"]["webhook-signature"] not in out


def test_low_stock_crossing_is_delivered_once(server, receiver):
    subscription = subscribe(server, receiver.url(), ["inventory.low_stock"])
    item = server.item("MG-10")  # 6 on hand, threshold 12: already low
    server.call("PATCH", f"/inventory/{item['id']}", {"quantity_change": 10, "reason_code": "RETURN"})
    server.call("PATCH", f"/inventory/{item['id']}", {"quantity_change": -5, "reason_code": "SALE"})
    server.call("PATCH", f"/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
    [got] = receiver.wait_for(1)
    payload = verified(got, subscription["secret"])
    assert payload["type"] == "inventory.low_stock" and payload["data"]["available_quantity"] == 11
    time.sleep(1)
    assert len(receiver.received) == 1


def test_receiver_down_then_up_is_delivered_on_retry_with_one_success(server):
    port = free_port()
    subscription = subscribe(server, f"http://127.0.0.1:{port}/hook")
    item = server.item()
    server.call("PATCH", f"/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
    [failed] = server.wait_deliveries(subscription["id"], lambda d: d and d[0]["last_error"])
    assert failed["state"] == "pending" and failed["next_attempt_at"]
    late = Receiver(port=port)
    try:
        [got] = late.wait_for(1)
        verified(got, subscription["secret"])
        [logged] = server.wait_deliveries(subscription["id"], lambda d: d[0]["state"] == "succeeded")
        assert logged["attempts"] >= 2
        time.sleep(1)
        assert len(late.received) == 1
    finally:
        late.stop()


def test_a_slow_subscriber_does_not_delay_another(server, receiver):
    slow = Receiver(delay_s=5)
    try:
        subscribe(server, slow.url("/slow"))
        fast = subscribe(server, receiver.url("/fast"))
        item = server.item()
        started = time.monotonic()
        server.call("PATCH", f"/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
        [got] = receiver.wait_for(1)
        assert got["at"] - started < 1.5
        verified(got, fast["secret"])
    finally:
        slow.stop()


def test_failing_subscriber_becomes_dead_letter_and_can_be_redelivered(server, receiver):
    receiver.status = 500
    subscription = subscribe(server, receiver.url())
    item = server.item()
    server.call("PATCH", f"/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
    [dead] = server.wait_deliveries(subscription["id"], lambda d: d and d[0]["state"] == "dead")
    assert dead["attempts"] == 4 and dead["last_status_code"] == 500
    assert len(receiver.received) == 4
    receiver.status = 200
    again = server.call("POST", f"/webhooks/{subscription['id']}/deliveries/{dead['id']}/redeliver")
    assert again.status_code == 202, again.text
    server.wait_deliveries(subscription["id"], lambda d: d[0]["state"] == "succeeded")
    assert len(receiver.received) == 5
    verified(receiver.received[-1], subscription["secret"])
    not_dead = server.call("POST", f"/webhooks/{subscription['id']}/deliveries/{dead['id']}/redeliver")
    assert not_dead.status_code == 409


def test_rotated_secret_signs_the_next_delivery(server, receiver):
    subscription = subscribe(server, receiver.url())
    rotated = server.call("POST", f"/webhooks/{subscription['id']}/rotate-secret").json()["data"]
    assert rotated["secret"] != subscription["secret"]
    item = server.item()
    server.call("PATCH", f"/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
    [got] = receiver.wait_for(1)
    verified(got, rotated["secret"])


def test_event_committed_but_never_published_is_delivered_after_restart(tmp_path, receiver):
    """A crash between commit and publish leaves the event unpublished in the outbox; the next
    start relays it. The crash is reproduced by committing with a publisher that dies."""
    first = Server(tmp_path / "data")
    subscription = subscribe(first, receiver.url())
    item = first.item()
    first.stop()

    env = dict(first.env)
    script = f"""
from inventory import bootstrap
from inventory.domain.commands import UpdateItem
from inventory.service import items
from inventory.service.auth import authenticate
from inventory.service.unit_of_work import WITHOUT_KEY

class Crash:
    def publish(self, events):
        raise SystemExit(17)  # the process dies right after the commit

services = bootstrap.services()
services.publisher_factory = Crash
actor = authenticate(services.store, "Bearer {first.key}")
items.update_item(services, actor, "{item['id']}", UpdateItem(quantity_change=-3, reason_code="SALE"),
                  None, WITHOUT_KEY)
"""
    crashed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert crashed.returncode == 17, crashed.stderr
    assert receiver.received == []

    second = Server(tmp_path / "data")
    try:
        [got] = receiver.wait_for(1)
        payload = verified(got, subscription["secret"])
        assert payload["data"]["change"]["quantity_change"] == -3
        time.sleep(1)
        assert len(receiver.received) == 1
    finally:
        second.stop()
