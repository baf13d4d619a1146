"""The Pub/Sub- and Scheduler-triggered functions, fed CloudEvents exactly as Eventarc delivers
them, through their real functions-framework apps."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path

import functions_framework
import pytest

from inventory import bootstrap
from inventory.adapters.pubsub import encode
from manual_clock import ManualClock
from receiver import Receiver
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parents[2]


def app(name: str):
    return functions_framework.create_app(target=name, source=str(ROOT / "functions" / name / "main.py")).test_client()


def pubsub_cloud_event(data: bytes, attributes: dict | None = None) -> tuple[dict, str]:
    headers = {"ce-id": "1234567890", "ce-specversion": "1.0",
               "ce-source": "//pubsub.googleapis.com/projects/p/topics/inventory-events",
               "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
               "Content-Type": "application/json"}
    body = {"message": {"data": base64.b64encode(data).decode(), "attributes": attributes or {},
                        "messageId": "1234567890", "publishTime": "2026-11-25T00:00:00Z"},
            "subscription": "projects/p/subscriptions/dispatcher"}
    return headers, json.dumps(body)


@pytest.fixture
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    bootstrap.reset()


class QueuedDeliveries:
    """Where the functions queue deliveries, as the `inventory-webhook-deliveries` topic would
    hold them (tests/cloud/test_cloud_topology.py runs the same through the Pub/Sub emulator)."""

    def __init__(self):
        self.ids: list[str] = []

    def enqueue(self, deliveries):
        self.ids += [d.id for d in deliveries]


@pytest.fixture
def queued() -> QueuedDeliveries:
    deliveries = QueuedDeliveries()
    services = bootstrap.services()
    services.delivery_queue_factory = lambda: deliveries
    services.__dict__.pop("delivery_queue", None)
    return deliveries


def test_dispatcher_fans_an_event_out_once_and_each_delivery_is_posted_once(loopback_allowed, api,
                                                                            item, queued):
    receiver = Receiver()
    try:
        secret = api.post("/api/v1/webhooks", {"url": receiver.url(), "events": ["inventory.updated"]}
                          ).json["data"]["secret"]
        api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
        assert receiver.received == []  # no worker runs here: the functions must post it
        services = bootstrap.services()
        event = services.store.list_events(api.organization_id, None, (), 100).items[-1]
        headers, body = pubsub_cloud_event(encode(event).encode(),
                                           {"type": event.type, "organization_id": event.organization_id})
        dispatcher = app("webhook_dispatcher")
        for _ in range(2):  # Pub/Sub redelivers
            assert dispatcher.post("/", headers=headers, data=body).status_code == 200
        assert receiver.received == []  # the dispatcher only records and queues
        [delivery_id] = set(queued.ids)
        deliver = app("deliver_webhook")
        headers, body = pubsub_cloud_event(delivery_id.encode(), {"delivery_id": delivery_id})
        for _ in queued.ids + [delivery_id]:  # each queued message, and a redelivery
            assert deliver.post("/", headers=headers, data=body).status_code == 200
        receiver.wait_for(1)
        assert len(receiver.received) == 1
        assert Webhook(secret).verify(receiver.received[0]["body"], receiver.received[0]["headers"])
    finally:
        receiver.stop()


class _DeadPublisher:
    def publish(self, events):
        raise ConnectionError("the topic is unreachable")


def test_outbox_relay_publishes_what_a_failed_publish_left_behind(api, item):
    services = bootstrap.services()
    working = services.publisher_factory
    services.publisher_factory = _DeadPublisher
    services.__dict__.pop("publisher", None)
    api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
    left = services.store.pending_events(10)
    assert [e.type for e in left] == ["inventory.updated"]  # committed, not published
    services.publisher_factory = working
    services.__dict__.pop("publisher", None)
    headers, body = pubsub_cloud_event(b"")
    assert app("outbox_relay").post("/", headers=headers, data=body).status_code == 200
    assert services.store.pending_events(10) == []


def test_retry_timer_queues_due_retries_and_deliveries_whose_message_was_lost(loopback_allowed, api,
                                                                              item, queued):
    receiver = Receiver(status=503)
    try:
        api.post("/api/v1/webhooks", {"url": receiver.url(), "events": ["inventory.updated"]})
        api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
        services = bootstrap.services()
        services.clock = clock = ManualClock(datetime.now(timezone.utc))
        timer, deliver = app("retry_webhook_deliveries"), app("deliver_webhook")
        tick = pubsub_cloud_event(b"")

        def attempt_queued() -> None:
            for delivery_id in queued.ids:
                headers, body = pubsub_cloud_event(delivery_id.encode(), {"delivery_id": delivery_id})
                assert deliver.post("/", headers=headers, data=body).status_code == 200
            queued.ids.clear()

        # Fanned out, never attempted: the dispatcher queued it, so the timer leaves it for a lease.
        assert timer.post("/", headers=tick[0], data=tick[1]).status_code == 200
        assert queued.ids == []
        clock.advance(seconds=61)  # its message was lost: the timer queues it
        assert timer.post("/", headers=tick[0], data=tick[1]).status_code == 200
        assert len(queued.ids) == 1
        attempt_queued()
        receiver.wait_for(1)  # refused: retried in 5 s
        assert timer.post("/", headers=tick[0], data=tick[1]).status_code == 200
        assert queued.ids == []
        clock.advance(seconds=5)
        receiver.status = 200
        assert timer.post("/", headers=tick[0], data=tick[1]).status_code == 200
        attempt_queued()
        assert [r["status"] for r in receiver.wait_for(2)] == [503, 200]
    finally:
        receiver.stop()


def test_scheduled_sync_message_queues_a_sync_of_that_kind(api, location):
    services = bootstrap.services()
    folder = services.settings.pos_file_root / api.organization_id  # the organization's own
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pos.csv").write_text("sku,quantity\nA,1\n")
    api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                {"kind": "file", "settings": {"path": "pos.csv"}})
    headers, body = pubsub_cloud_event(b"full")
    assert app("scheduled_sync").post("/", headers=headers, data=body).status_code == 200
    [queued] = services.store.queued_sync_runs(10)
    assert queued.location_id == location["id"] and queued.sync_type.value == "full"
