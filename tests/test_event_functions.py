"""The Pub/Sub- and Scheduler-triggered functions, fed CloudEvents exactly as Eventarc delivers
them, through their real functions-framework apps."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import functions_framework
import pytest

from inventory import bootstrap
from inventory.adapters.pubsub import encode
from receiver import Receiver
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parents[1]


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


def test_dispatcher_delivers_a_pubsub_message_once_however_often_it_arrives(loopback_allowed, api, item):
    receiver = Receiver()
    try:
        secret = api.post("/api/v1/webhooks", {"url": receiver.url(), "events": ["inventory.updated"]}
                          ).json["data"]["secret"]
        api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
        assert receiver.received == []  # no worker runs here: the dispatcher must post it
        services = bootstrap.services()
        event = services.store.list_events(api.organization_id, None, (), 100).items[-1]
        headers, body = pubsub_cloud_event(encode(event).encode(),
                                           {"type": event.type, "organization_id": event.organization_id})
        dispatcher = app("webhook_dispatcher")
        for _ in range(2):  # Pub/Sub redelivers
            assert dispatcher.post("/", headers=headers, data=body).status_code == 200
        receiver.wait_for(1)
        assert len(receiver.received) == 1
        assert Webhook(secret).verify(receiver.received[0]["body"], receiver.received[0]["headers"])
    finally:
        receiver.stop()


def test_outbox_relay_and_retry_timers_run_from_scheduler_messages(api, item):
    headers, body = pubsub_cloud_event(b"")
    assert app("outbox_relay").post("/", headers=headers, data=body).status_code == 200
    assert app("retry_webhook_deliveries").post("/", headers=headers, data=body).status_code == 200
    assert bootstrap.services().store.pending_events(10) == []


def test_scheduled_sync_message_queues_syncs(api, location):
    headers, body = pubsub_cloud_event(b"full")
    assert app("scheduled_sync").post("/", headers=headers, data=body).status_code == 200
