"""The cloud configuration end to end on one machine: `python -m inventory.local.cloud` runs every
function as its own functions-framework process on Google's Firestore and Pub/Sub emulators, with
push subscriptions into the event-triggered functions. A change made through the gateway must
reach a real receiver on 127.0.0.1 as a verifiable signed webhook, through Pub/Sub."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from inventory.local.emulators import stop_group
from inventory.local.loopback import free_port
from square_sdk.client import SQUARE_VENV, square_webhook_check

pytestmark = pytest.mark.firestore

TIME_SCALE = "30"  # the every-minute timers (outbox relay, delivery retries) fire every 2 s
RETRIES = "1,1,1"  # three quick retries after the first attempt, then a dead letter
SWEEP_AFTER = "3"  # a published event not fanned out 3 s later is swept (retry timer, every 2 s)


class Topology:
    def __init__(self, firestore_emulator: str, folder: Path):
        self.port = free_port()
        self.pos_root = folder / "pos"
        self.pos_root.mkdir(parents=True)
        self.log = folder / "cloud.log"
        env = dict(os.environ, INVENTORY_WEBHOOK_ALLOW_LOOPBACK="1", INVENTORY_WEBHOOK_TIMEOUT_S="2",
                   INVENTORY_WEBHOOK_RETRY_SCHEDULE=RETRIES, INVENTORY_POS_FILE_ROOT=str(self.pos_root),
                   INVENTORY_FEED_SETTLE_S="0", INVENTORY_FAN_OUT_SWEEP_AFTER_S=SWEEP_AFTER,
                   PYTHONUNBUFFERED="1")
        self.folder = folder
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "inventory.local.cloud", f"--port={self.port}",
                 f"--firestore-emulator={firestore_emulator}", f"--time-scale={TIME_SCALE}",
                 f"--data-dir={folder}"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.key = self._banner("demo API key: ")
        self.organization_id = self._banner("demo organization: ").split()[0]
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.key}"
        self._n = 0

    def _banner(self, prefix: str, timeout_s: float = 180) -> str:
        """What the startup banner prints after `prefix`, once the topology listens."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log.read_text()
            if "listening on" in text:
                return next(line.removeprefix(prefix) for line in text.splitlines()
                            if line.startswith(prefix))
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise AssertionError(f"the topology did not start:\n{self.log.read_text()[-4000:]}")

    def call(self, method, path, body=None, **params) -> requests.Response:
        headers = {}
        if method != "GET":
            self._n += 1
            headers["Idempotency-Key"] = f"cloud-{time.time_ns()}-{self._n}"
        return self.session.request(method, self.base + path, json=body, params=params,
                                    headers=headers, timeout=30)

    def item(self, sku: str) -> dict:
        return next(i for i in self.call("GET", "/inventory").json()["data"] if i["sku"] == sku)

    def subscribe(self, url: str, events: list[str]) -> dict:
        response = self.call("POST", "/webhooks", {"url": url, "events": events})
        assert response.status_code == 201, response.text
        return response.json()["data"]

    def wait(self, path: str, predicate, timeout_s: float = 60):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.call("GET", path).json()["data"]
            if predicate(found):
                return found
            time.sleep(0.3)
        raise AssertionError(f"{path} never matched: {self.call('GET', path).text}")

    def stop(self) -> str:
        stop_group(self.process, timeout_s=30)
        return self.log.read_text()


@pytest.fixture(scope="module")
def topology(firestore_emulator, tmp_path_factory):
    running = Topology(firestore_emulator, tmp_path_factory.mktemp("cloud"))
    yield running
    running.stop()


def verified(received: dict, secret: str) -> dict:
    return Webhook(secret).verify(received["body"], received["headers"])


def test_every_function_runs_as_its_own_process(topology):
    log = topology.log.read_text()
    listed = [line.split(":")[0].strip() for line in log.splitlines() if line.startswith("  ")]
    assert {"webhook_dispatcher", "update_inventory", "run_sync", "outbox_relay"} <= set(listed)
    assert topology.call("GET", "/openapi.json").status_code == 200
    assert topology.call("GET", "/inventory").status_code == 200
    assert topology.call("GET", "/nowhere").status_code == 404


def test_an_adjustment_arrives_as_signed_webhooks_through_pubsub_push(topology, receiver):
    subscription = topology.subscribe(receiver.url(), ["inventory.updated", "inventory.low_stock"])
    item = topology.item("BD-35")  # 48 on hand, threshold 10
    response = topology.call("PATCH", f"/inventory/{item['id']}",
                             {"quantity_change": -40, "reason_code": "SALE"})
    assert response.status_code == 200, response.text
    received = receiver.wait_for(2, timeout_s=60)
    payloads = {p["type"]: p for p in (verified(r, subscription["secret"]) for r in received)}
    updated = payloads["inventory.updated"]["data"]
    assert updated["item"]["version"] == item["version"] + 1
    assert (updated["change"]["quantity_before"], updated["change"]["quantity_after"]) == (48, 8)
    assert payloads["inventory.low_stock"]["data"]["available_quantity"] == 8
    logged = topology.wait(f"/webhooks/{subscription['id']}/deliveries",
                           lambda d: len(d) == 2 and all(x["state"] == "succeeded" for x in d))
    assert {x["last_status_code"] for x in logged} == {200}
    assert {x["event_id"] for x in logged} == {r["headers"]["webhook-id"] for r in received}
    time.sleep(2)  # Pub/Sub acked each push; nothing arrives twice
    assert len(receiver.received) == 2


def test_a_refused_delivery_is_retried_by_the_scheduled_function(topology, receiver):
    receiver.status = 503
    subscription = topology.subscribe(receiver.url(), ["inventory.updated"])
    item = topology.item("MG-10")
    response = topology.call("PATCH", f"/inventory/{item['id']}",
                             {"quantity_change": -1, "reason_code": "SALE"})
    assert response.status_code == 200, response.text
    receiver.wait_for(1, timeout_s=60)
    receiver.status = 200
    [logged] = topology.wait(f"/webhooks/{subscription['id']}/deliveries",
                             lambda d: d and d[0]["state"] == "succeeded")
    assert logged["attempts"] >= 2 and logged["last_status_code"] == 200
    successes = [r for r in receiver.received if r["status"] == 200]
    assert len(successes) == 1
    verified(successes[0], subscription["secret"])


def test_a_sync_runs_through_pubsub_and_reports_completion(topology, receiver):
    subscription = topology.subscribe(receiver.url(), ["inventory.sync.completed"])
    location_id = topology.item("MG-10")["location_id"]
    folder = topology.pos_root / topology.organization_id  # the organization's own POS folder
    folder.mkdir(exist_ok=True)
    (folder / "export.csv").write_text(
        "sku,room_type,quantity,product_name,category,unit,unit_cost,unit_price\n"
        "MG-10,sales_floor,30,Mango Gummies 10pk,edibles,each,8.00,20.00\n"
        "NEW-7,vault,5,Pre-roll 1g,pre-rolls,each,2.50,8.00\n")
    connected = topology.call("PUT", f"/locations/{location_id}/pos-connection",
                              {"kind": "file", "settings": {"path": "export.csv"}})
    assert connected.status_code == 200, connected.text
    queued = topology.call("POST", "/inventory/sync", {"location_id": location_id, "sync_type": "full"})
    assert queued.status_code == 202, queued.text
    run = topology.wait(f"/inventory/sync/{queued.json()['data']['id']}",
                        lambda r: r["status"] in ("succeeded", "failed"))
    assert run["status"] == "succeeded", run
    assert (run["summary"]["created"], run["summary"]["updated"]) == (1, 1)
    assert topology.item("MG-10")["quantity"] == 30
    [got] = receiver.wait_for(1, timeout_s=60)
    payload = verified(got, subscription["secret"])
    assert payload["type"] == "inventory.sync.completed"
    assert payload["data"]["sync"]["id"] == run["id"] and payload["data"]["sync"]["summary"]["created"] == 1


def test_a_dispatcher_killed_mid_run_loses_no_event_and_repeats_only_with_the_same_webhook_id(topology, receiver):
    """kill -9 of webhook_dispatcher's instance while N events flow: the emulator drops the
    pushes it had in flight; cloud-local starts the function again (as Cloud Run replaces an
    instance) and the retry timer's fan-out sweep makes the deliveries of the events whose
    fan-out was lost. Every event arrives; a repeat carries the same webhook-id and body."""
    events = 24
    subscription = topology.subscribe(receiver.url(), ["inventory.updated"])
    item = topology.call("GET", "/inventory").json()["data"][0]
    pid_file = topology.folder / "logs" / "webhook_dispatcher.pid"
    killed = int(pid_file.read_text())
    for n in range(events):
        response = topology.call("PATCH", f"/inventory/{item['id']}",
                                 {"quantity_change": 1, "reason_code": "ADJUSTMENT", "notes": f"kill test {n}"})
        assert response.status_code == 200, response.text
        if n == events // 3:
            os.killpg(killed, signal.SIGKILL)  # the instance and every process of it
    # A bound on waiting, not a timing claim: the restart, the emulator's push backoff and the
    # sweep can take over a minute on a loaded machine.
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        ids = {r["headers"]["webhook-id"] for r in receiver.received}
        if len(ids) >= events:
            break
        time.sleep(0.3)
    assert int(pid_file.read_text()) != killed, "the dispatcher was not started again"
    by_id: dict[str, set] = {}
    for received in receiver.received:
        payload = verified(received, subscription["secret"])
        by_id.setdefault(received["headers"]["webhook-id"], set()).add(received["body"])
        assert payload["data"]["item"]["id"] == item["id"]
    versions = sorted(verified(r, subscription["secret"])["data"]["item"]["version"] for r in receiver.received)
    assert sorted(set(versions)) == list(range(item["version"] + 1, item["version"] + events + 1))
    assert len(by_id) == events and all(len(bodies) == 1 for bodies in by_id.values())


@pytest.mark.skipif(not (SQUARE_VENV / ".installed").exists(),
                    reason="Square's SDK venv .venv-square is missing: `make test` builds it")
def test_a_square_format_subscription_gets_squares_notification_through_pubsub(topology, receiver):
    """The same pipeline (dispatcher and deliver_webhook over Pub/Sub) renders and signs in the
    subscription's format: Square's SDK verifies the notification and parses it."""
    created = topology.call("POST", "/webhooks", {"url": receiver.url(), "format": "square",
                                                  "events": ["inventory.count.updated"]})
    assert created.status_code == 201, created.text
    subscription = created.json()["data"]
    item = topology.item("BD-35")
    response = topology.call("PATCH", f"/inventory/{item['id']}",
                             {"quantity_change": -1, "reason_code": "SALE"})
    assert response.status_code == 200, response.text
    [got] = receiver.wait_for(1, timeout_s=60)
    [seen] = square_webhook_check(subscription["secret"], subscription["url"], [
        {"body": got["body"], "signature": got["headers"]["x-square-hmacsha256-signature"]}])
    assert seen["valid"] and seen["undeclared"] == []
    assert seen["event"]["type"] == "inventory.count.updated"
    assert seen["event"]["data"]["id"] == item["id"]
    [count] = seen["event"]["data"]["object"]["inventory_counts"]
    assert (count["catalog_object_id"], count["quantity"]) == (item["product_id"], str(item["quantity"] - 1))
    topology.wait(f"/webhooks/{subscription['id']}/deliveries",
                  lambda d: len(d) == 1 and d[0]["state"] == "succeeded")
    assert topology.call("DELETE", f"/webhooks/{subscription['id']}").status_code == 200
