"""Subscription input is checked before anything is stored; deliveries are made once per event."""
from __future__ import annotations

from collections import Counter

import pytest

from conftest import Api, new_organization
from inventory import bootstrap
from inventory.domain.codes import Scope
from inventory.domain.errors import InvalidInput
from inventory.local.worker import DeliveryWorker
from inventory.service import delivery
from inventory.service.url_policy import check_webhook_url
from receiver import Receiver


@pytest.mark.parametrize("body, field, code", [
    ({"url": "http://example.com/hook", "events": ["inventory.updated"]}, "url", "insecure_url"),
    ({"url": "https://203.0.113.9/hook", "events": ["inventory.updated"]}, "url", "private_url"),
    ({"url": "https://10.1.2.3/hook", "events": ["inventory.updated"]}, "url", "private_url"),
    ({"url": "https://169.254.169.254/latest", "events": ["inventory.updated"]}, "url", "private_url"),
    ({"url": "https://127.0.0.1/hook", "events": ["inventory.updated"]}, "url", "private_url"),
    ({"url": "https://[::1]/hook", "events": ["inventory.updated"]}, "url", "private_url"),
    ({"url": "ftp://example.com/x", "events": ["inventory.updated"]}, "url", "invalid_url"),
    ({"url": "https://user:pw@example.com/x", "events": ["inventory.updated"]}, "url", "invalid_url"),
    ({"url": "not a url", "events": ["inventory.updated"]}, "url", "invalid_url"),
    ({"url": "https://hooks.example.com/hook", "events": ["inventory.exploded"]}, "events[0]", "unknown_event_type"),
    ({"url": "https://hooks.example.com/hook", "events": []}, "events", "too_short"),
    ({"url": "https://hooks.example.com/hook"}, "events", "missing"),
    ({"events": ["inventory.updated"]}, "url", "missing"),
    ({"url": "https://hooks.example.com/hook", "events": ["*"], "secret": "mine"}, "secret", "unknown_field"),
])
def test_bad_subscription_is_refused_with_field_and_stores_nothing(api, body, field, code):
    response = api.post("/api/v1/webhooks", body)
    assert response.status == 422, response
    assert any(f["field"] == field and f["code"] == code for f in response.error["fields"]), response
    assert api.get("/api/v1/webhooks").json["data"] == []


@pytest.fixture
def loopback_allowed(monkeypatch):
    """Local mode's explicit setting: loopback receivers accepted (tests never post elsewhere)."""
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    bootstrap.reset()


def test_public_https_url_passes_the_policy():
    public = lambda host, port: ["93.184.215.14"]  # noqa: E731 - a resolver answering a public address
    assert check_webhook_url("https://hooks.example.com/x", allow_loopback=False, resolver=public)
    with pytest.raises(InvalidInput):
        check_webhook_url("https://rebind.example.com/x", allow_loopback=False,
                          resolver=lambda host, port: ["93.184.215.14", "10.0.0.7"])
    with pytest.raises(InvalidInput):  # local mode still refuses private, non-loopback hosts
        check_webhook_url("http://10.0.0.7/x", allow_loopback=True, resolver=lambda h, p: ["10.0.0.7"])


def test_subscription_is_accepted_and_secret_shown_once(loopback_allowed, api):
    created = api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"],
                                            "description": "ERP"})
    assert created.status == 201, created
    assert created.json["data"]["secret"].startswith("whsec_")
    got = api.get(f"/api/v1/webhooks/{created.json['data']['id']}")
    assert got.status == 200 and "secret" not in got.json["data"]
    deleted = api.delete(f"/api/v1/webhooks/{created.json['data']['id']}")
    assert deleted.status == 200 and "secret" not in deleted.json["data"]
    assert api.get(f"/api/v1/webhooks/{created.json['data']['id']}").status == 404
    assert api.get("/api/v1/webhooks").json["data"] == []


def test_webhooks_need_the_manage_scope(gateway, services):
    _, secret = new_organization(services, scopes=(Scope.INVENTORY_READ, Scope.INVENTORY_WRITE))
    response = Api(gateway, secret).get("/api/v1/webhooks")
    assert response.status == 403 and response.error["code"] == "insufficient_scope"


def test_another_organizations_subscription_is_invisible(loopback_allowed, api, other_api):
    created = api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"]})
    subscription_id = created.json["data"]["id"]
    assert other_api.get(f"/api/v1/webhooks/{subscription_id}").status == 404
    assert other_api.delete(f"/api/v1/webhooks/{subscription_id}").status == 404
    assert other_api.get(f"/api/v1/webhooks/{subscription_id}/deliveries").status == 404


def test_event_feed_resumes_from_cursor_and_filters_by_type(api, item):
    first = api.get("/api/v1/events")
    assert [e["type"] for e in first.json["data"]] == ["inventory.updated"]
    cursor = first.json["pagination"]["next_cursor"]
    api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -8, "reason_code": "SALE"})
    after = api.get("/api/v1/events", query={"after": cursor})
    assert [e["type"] for e in after.json["data"]] == ["inventory.updated", "inventory.low_stock"]
    only_low = api.get("/api/v1/events", query={"type": "inventory.low_stock"})
    assert [e["type"] for e in only_low.json["data"]] == ["inventory.low_stock"]
    assert api.get("/api/v1/events", query={"after": "garbage!"}).status == 422
    assert api.get("/api/v1/events", query={"type": "nope"}).status == 422


def test_redelivered_message_posts_nothing_twice(loopback_allowed, api, item):
    """Pub/Sub may deliver one message to the dispatcher more than once; a subscriber that
    already answered 2xx must not get it again."""
    services = bootstrap.services()
    receiver = Receiver()
    try:
        api.post("/api/v1/webhooks", {"url": receiver.url(), "events": ["inventory.updated"]})
        api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
        event = services.store.list_events(api.organization_id, None, (), 100).items[-1]
        for _ in range(3):
            for made in delivery.dispatch(services, event):
                delivery.deliver(services, made.id)
        receiver.wait_for(1)
        assert len(receiver.received) == 1
    finally:
        receiver.stop()


def test_the_local_worker_fans_each_published_event_out_once(loopback_allowed, api, item, monkeypatch):
    """A publish wakes the worker before the request marks its events published; the relay of
    leftovers must not run on that wake-up, or it fans the same events out a second time."""
    fanned: list[str] = []
    real_fan_out = delivery.fan_out

    def counting_fan_out(services, events):
        fanned.extend(e.id for e in events)
        return real_fan_out(services, events)

    monkeypatch.setattr(delivery, "fan_out", counting_fan_out)
    bootstrap.reset()  # the local bus is built again, around the counting fan-out
    services = bootstrap.services()
    receiver = Receiver()
    worker = DeliveryWorker(services, poll_s=30).start()  # relays now, then not for 30 s
    try:
        api.post("/api/v1/webhooks", {"url": receiver.url(), "events": ["inventory.updated"]})
        for _ in range(3):
            api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
        receiver.wait_for(3)
        updates = services.store.list_events(api.organization_id, None, ("inventory.updated",), 100)
        assert set(e.id for e in updates.items[-3:]) <= set(fanned)
        assert all(times == 1 for times in Counter(fanned).values()), Counter(fanned)
    finally:
        worker.stop()
        receiver.stop()
