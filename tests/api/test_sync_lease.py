"""A POS sync holds a lease its worker renews while it works. A worker that dies (killed, or cut off
at the function's timeout) stops renewing; once the lease has run out the run is failed with
"worker lost" and its location takes a new sync. A worker that was only stalled and swept writes
nothing more."""
from __future__ import annotations

import base64
import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import functions_framework
import pytest

from conftest import events_of
from inventory import bootstrap
from inventory.domain.sync import WORKER_LOST
from inventory.domain.time import parse_instant
from inventory.service import sync
from local_server import LocalServer
from manual_clock import ManualClock
from slow_pos import SlowPos

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def loopback_pos(monkeypatch):
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")  # the POS is on 127.0.0.1
    bootstrap.reset()


@pytest.fixture
def clock(services) -> ManualClock:
    # An hour back, so the minutes it is moved on stay in the past for the event feed.
    manual = ManualClock(datetime.now(timezone.utc) - timedelta(hours=1))
    services.clock = manual
    return manual


@pytest.fixture
def pos():
    running = SlowPos(pages=2, delay_s=0)
    yield running
    running.stop()


def connect_pos(api, location_id: str, pos: SlowPos) -> None:
    response = api.request("PUT", f"/api/v1/locations/{location_id}/pos-connection",
                           {"kind": "http", "settings": {"base_url": pos.url}, "secret": pos.token})
    assert response.status == 200, response


def request_sync(api, location_id: str):
    return api.post("/api/v1/inventory/sync", {"location_id": location_id, "sync_type": "full"})


def taken_by_a_worker_that_dies(services, sync_id: str):
    """What run_sync does first (start the run, with its lease) and then nothing: its process died."""
    run, started = services.store.transact(lambda tx: sync._start(services, tx, sync_id))
    assert started
    return run


def pubsub_message(data: bytes) -> tuple[dict, str]:
    headers = {"ce-id": "1", "ce-specversion": "1.0", "ce-source": "//pubsub.googleapis.com/",
               "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
               "Content-Type": "application/json"}
    return headers, json.dumps({"message": {"data": base64.b64encode(data).decode(), "attributes": {},
                                            "messageId": "1", "publishTime": "2026-11-25T00:00:00Z"},
                                "subscription": "projects/p/subscriptions/s"})


def function(name: str):
    return functions_framework.create_app(
        target=name, source=str(ROOT / "functions" / name / "main.py")).test_client()


def test_a_run_whose_lease_ran_out_is_failed_as_worker_lost_and_the_location_syncs_again(
        loopback_pos, api, location, services, clock, pos):
    connect_pos(api, location["id"], pos)
    queued = request_sync(api, location["id"])
    assert queued.status == 202, queued
    lost = taken_by_a_worker_that_dies(services, queued.json["data"]["id"])
    lease = timedelta(seconds=services.settings.sync_lease_s)
    assert lost.lease_until == clock.now() + lease

    clock.advance(seconds=lease.total_seconds() - 1)  # the lease still holds: the location is busy
    busy = request_sync(api, location["id"])
    assert busy.status == 409 and busy.error["code"] == "sync_in_progress", busy

    clock.advance(seconds=1)  # now it has run out
    again = request_sync(api, location["id"])
    assert again.status == 202, again
    failed = api.get(f"/api/v1/inventory/sync/{lost.id}").json["data"]
    assert (failed["status"], failed["error"]) == ("failed", WORKER_LOST)
    assert failed["finished_at"] is not None and failed["lease_until"] is None
    completed = [e for e in events_of(api) if e["type"] == "inventory.sync.completed"]
    assert [(e["data"]["sync"]["id"], e["data"]["sync"]["status"]) for e in completed] == [
        (lost.id, "failed")]

    done = sync.run_sync(services, again.json["data"]["id"])  # the new run works normally
    assert done.status.value == "succeeded" and done.summary.created == 2, done


def test_the_scheduled_sync_sweeps_lost_runs_and_queues_their_locations_again(
        loopback_pos, api, location, services, clock, pos):
    """The cloud path: run_sync cut off at its timeout renews no more; scheduled_sync fails the run
    once its lease has run out, and queues the location as usual."""
    connect_pos(api, location["id"], pos)
    lost = taken_by_a_worker_that_dies(services, request_sync(api, location["id"]).json["data"]["id"])
    headers, body = pubsub_message(b"incremental")
    timer = function("scheduled_sync")
    assert timer.post("/", headers=headers, data=body).status_code == 200
    assert services.store.queued_sync_runs(10) == []  # still leased: nothing swept, nothing queued
    assert api.get(f"/api/v1/inventory/sync/{lost.id}").json["data"]["status"] == "running"

    clock.advance(seconds=services.settings.sync_lease_s + 1)
    assert timer.post("/", headers=headers, data=body).status_code == 200
    failed = api.get(f"/api/v1/inventory/sync/{lost.id}").json["data"]
    assert (failed["status"], failed["error"]) == ("failed", WORKER_LOST)
    [queued] = services.store.queued_sync_runs(10)
    assert queued.location_id == location["id"] and queued.id != lost.id


def test_a_redelivered_run_message_leaves_a_running_run_to_its_worker(
        loopback_pos, api, location, services, clock, pos):
    connect_pos(api, location["id"], pos)
    running = taken_by_a_worker_that_dies(services, request_sync(api, location["id"]).json["data"]["id"])
    headers, body = pubsub_message(running.id.encode())
    assert function("run_sync").post("/", headers=headers, data=body).status_code == 200
    assert pos.served == 0  # no second worker fetched the POS
    assert services.store.transact(lambda tx: tx.get_sync_run(running.id)) == running


def test_a_stalled_worker_that_was_swept_writes_nothing_more(loopback_pos, api, location, services,
                                                            clock, pos):
    connect_pos(api, location["id"], pos)
    queued = request_sync(api, location["id"])
    pos.hold_page = 1  # the worker applies page 0, then waits for page 1
    finished = []
    worker = threading.Thread(target=lambda: finished.append(
        sync.run_sync(services, queued.json["data"]["id"])))
    worker.start()
    try:
        assert pos.holding.wait(30)
        clock.advance(seconds=services.settings.sync_lease_s + 1)  # as if it stalled that long
        [swept] = sync.sweep_lost_runs(services)
        assert swept.id == queued.json["data"]["id"] and swept.error == WORKER_LOST
    finally:
        pos.release.set()
        worker.join(30)
    [result] = finished
    assert (result.status.value, result.error) == ("failed", WORKER_LOST)
    skus = {i["sku"] for i in api.get("/api/v1/inventory").json["data"]}
    assert "P-00000" in skus and "P-00001" not in skus  # page 1 came after the sweep: refused
    stored = api.get(f"/api/v1/inventory/sync/{result.id}").json["data"]
    assert (stored["status"], stored["error"]) == ("failed", WORKER_LOST)
    completed = [e for e in events_of(api) if e["type"] == "inventory.sync.completed"]
    assert len(completed) == 1  # announced by the sweep, not again by the stalled worker


def test_killing_the_worker_mid_sync_frees_the_location_once_the_lease_runs_out(tmp_path):
    """The local server is SIGKILLed while its worker pages through a slow POS; started again on
    the same data, it refuses a new sync of the location while the dead worker's lease holds and
    accepts one once it has run out (a 2 s lease here, 60 s by default)."""
    pos = SlowPos(pages=None, delay_s=0.3)
    data = tmp_path / "server" / "data"
    data.mkdir(parents=True)
    first = LocalServer(data, INVENTORY_SYNC_LEASE_S="2")
    second = None
    try:
        location_id = first.item()["location_id"]
        assert first.call("PUT", f"/locations/{location_id}/pos-connection", {
            "kind": "http", "settings": {"base_url": pos.url}, "secret": pos.token}).status_code == 200
        killed = first.call("POST", "/inventory/sync", {"location_id": location_id, "sync_type": "full"})
        assert killed.status_code == 202, killed.text
        killed_id = killed.json()["data"]["id"]
        pos.wait_served(3)  # the worker is paging
        running = first.call("GET", f"/inventory/sync/{killed_id}").json()["data"]
        assert running["status"] == "running", running
        first.kill()
        pos.pages = pos.served + 1  # from now on a sync of this POS ends at once
        last_lease = parse_instant(running["lease_until"])

        second = LocalServer(data, INVENTORY_SYNC_LEASE_S="2")
        answers = []
        while True:  # ask until the location is free
            answer = second.call("POST", "/inventory/sync", {"location_id": location_id,
                                                            "sync_type": "full"})
            answers.append(answer)
            if answer.status_code != 409:
                break
            assert answer.json()["error"]["code"] == "sync_in_progress", answer.text
            assert len(answers) < 300, "the location never became free"
            threading.Event().wait(0.1)
        assert answers[-1].status_code == 202, answers[-1].text
        accepted = answers[-1].json()["data"]
        # Accepted only once the dead worker's lease had run out (it renews every 2/3 s, so its
        # last lease ends at most 2 s after the one read before the kill).
        assert parse_instant(accepted["created_at"]) >= last_lease
        dead = second.call("GET", f"/inventory/sync/{killed_id}").json()["data"]
        assert (dead["status"], dead["error"]) == ("failed", WORKER_LOST)
        assert parse_instant(dead["finished_at"]) >= last_lease
        for _ in range(300):
            new = second.call("GET", f"/inventory/sync/{accepted['id']}").json()["data"]
            if new["status"] not in ("queued", "running"):
                break
            threading.Event().wait(0.1)
        assert new["status"] == "succeeded", new
    finally:
        if first.process.poll() is None:
            first.kill()
        if second is not None:
            second.stop()
        pos.stop()
