"""No subscriber holds up another, and a running POS sync holds up no webhook: the local server
(`python -m inventory.local.server`) with real receivers and a real POS on 127.0.0.1.

Nothing here is timed: each test asserts what has happened by the time something else has
(the healthy subscriber has every event while the hanging one's first post is still open).
bench/webhook_isolation.py measures the latencies and retry gaps."""
from __future__ import annotations

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook

from local_server import LocalServer
from receiver import HangingReceiver, Receiver
from slow_pos import SlowPos


@pytest.fixture
def receivers():
    hanging, failing, healthy = HangingReceiver(), Receiver(status=500), Receiver()
    yield hanging, failing, healthy
    for receiver in (hanging, failing, healthy):
        receiver.stop()


def subscribe(server: LocalServer, url: str) -> dict:
    response = server.call("POST", "/webhooks", {"url": url, "events": ["inventory.updated"]})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def wait_until(predicate, timeout_s: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def test_a_hanging_and_a_failing_subscriber_hold_up_no_healthy_one(tmp_path, receivers):
    hanging, failing, healthy = receivers
    data = tmp_path / "data"
    data.mkdir()
    # Posts to the hanging subscriber stay open for the whole test (30 s timeout); the failing
    # one is retried every 0.5 s.
    server = LocalServer(data, INVENTORY_WEBHOOK_TIMEOUT_S="30",
                         INVENTORY_WEBHOOK_RETRY_SCHEDULE="0.5,0.5,0.5,0.5,0.5,0.5")
    try:
        hung = subscribe(server, hanging.url())
        subscribe(server, failing.url())
        secret = subscribe(server, healthy.url())["secret"]
        item = server.item()
        for n in range(10):
            response = server.call("PATCH", f"/inventory/{item['id']}",
                                   {"quantity_change": -1, "reason_code": "SALE"})
            assert response.status_code == 200, response.text
        got = healthy.wait_for(10, timeout_s=25)
        assert len({Webhook(secret).verify(r["body"], r["headers"])["data"]["item"]["version"]
                    for r in got}) == 10
        # The failing subscriber's retries run meanwhile too.
        wait_until(lambda: any(len(attempts) >= 3 for attempts in attempts_by_event(failing).values()),
                   what="three attempts of one event at the failing subscriber")
        # All of that while the hanging subscriber's posts are still open: none has an outcome.
        assert hanging.arrived >= 1
        logged = server.call("GET", f"/webhooks/{hung['id']}/deliveries").json()["data"]
        assert len(logged) == 10
        assert all(d["last_status_code"] is None and d["last_error"] is None for d in logged), logged
    finally:
        hanging.release.set()
        server.stop()


def attempts_by_event(receiver: Receiver) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for received in list(receiver.received):
        found.setdefault(received["headers"]["webhook-id"], []).append(received)
    return found


def test_webhooks_are_delivered_while_a_pos_sync_keeps_paging(tmp_path):
    pos = SlowPos(pages=None, delay_s=0.3)  # pages for as long as the test runs
    healthy = Receiver()
    data = tmp_path / "data"
    data.mkdir()
    server = LocalServer(data)
    try:
        secret = subscribe(server, healthy.url())["secret"]
        item = server.item()
        assert server.call("PUT", f"/locations/{item['location_id']}/pos-connection", {
            "kind": "http", "settings": {"base_url": pos.url}, "secret": pos.token}).status_code == 200
        queued = server.call("POST", "/inventory/sync", {"location_id": item["location_id"],
                                                         "sync_type": "full"})
        assert queued.status_code == 202, queued.text
        pos.wait_served(2)  # the worker is paging
        for _ in range(5):
            response = server.call("PATCH", f"/inventory/{item['id']}",
                                   {"quantity_change": -1, "reason_code": "SALE"})
            assert response.status_code == 200, response.text

        def adjustments() -> list[dict]:
            payloads = [json.loads(r["body"]) for r in list(healthy.received)]
            return [p for p in payloads if p["data"]["item"]["id"] == item["id"]]

        wait_until(lambda: len(adjustments()) == 5, what="the 5 adjustments' webhooks")
        for received in healthy.received:
            Webhook(secret).verify(received["body"], received["headers"])
        run = server.call("GET", f"/inventory/sync/{queued.json()['data']['id']}").json()["data"]
        assert run["status"] == "running", run  # delivered while the sync was still paging
    finally:
        server.stop()
        healthy.stop()
        pos.stop()


def test_due_deliveries_skip_the_given_subscriptions_and_list_retries_first(services):
    """The store's side of the worker's per-subscription limit, on each store."""
    from datetime import timedelta

    from inventory.domain.webhooks import Delivery, DeliveryState

    now = services.clock.now()

    def made(n: int, subscription_id: str, retry_at=None) -> Delivery:
        return Delivery(id=f"dlv_{n:03}", organization_id="org_x", subscription_id=subscription_id,
                        event_id=f"evt_{n:03}", event_type="inventory.updated",
                        state=DeliveryState.PENDING, attempts=1 if retry_at else 0,
                        next_attempt_at=retry_at, created_at=now, updated_at=now)

    backlog = [made(n, "whk_hanging") for n in range(30)]
    others = [made(100, "whk_healthy"), made(101, "whk_failing", retry_at=now - timedelta(seconds=1)),
              made(102, "whk_failing", retry_at=now + timedelta(minutes=5))]  # not due yet
    services.store.transact(lambda tx: [tx.save_delivery(d) for d in backlog + others])

    first = services.store.due_deliveries(now, 5)
    assert first[0].id == "dlv_101"  # the retry that is due comes before the never-attempted
    assert len(first) == 5
    found = services.store.due_deliveries(now, 5, skip_subscriptions={"whk_hanging"})
    assert [d.id for d in found] == ["dlv_101", "dlv_100"]
