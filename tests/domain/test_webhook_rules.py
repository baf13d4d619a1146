"""The retry schedule of a failing delivery, and the address check made again before each post."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from inventory.adapters.webhook_sender import HttpWebhookSender
from inventory.domain.webhooks import RETRY_SCHEDULE, Delivery, DeliveryState, after_attempt
from inventory.local.loopback import free_port
from inventory.service.delivery import LEASE, lease_for
from receiver import Receiver

NOW = datetime(2026, 11, 25, tzinfo=timezone.utc)


def test_failing_delivery_is_retried_on_the_schedule_for_about_a_day_then_dead():
    delivery = Delivery(id="dlv_1", organization_id="org", subscription_id="whk", event_id="evt",
                        event_type="inventory.updated", state=DeliveryState.PENDING,
                        created_at=NOW, updated_at=NOW)
    waits, now = [], NOW
    while delivery.state is DeliveryState.PENDING:
        delivery = after_attempt(delivery.model_copy(update={"attempts": delivery.attempts + 1}),
                                 status=503, error="down", now=now)
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - now)
            now = delivery.next_attempt_at
    assert waits == [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30),
                     timedelta(hours=2), timedelta(hours=5), timedelta(hours=10), timedelta(hours=10)]
    assert tuple(waits) == RETRY_SCHEDULE
    assert delivery.state is DeliveryState.DEAD and delivery.attempts == 8
    assert timedelta(hours=27) < now - NOW < timedelta(hours=28)


def test_success_ends_the_delivery():
    delivery = Delivery(id="dlv_1", organization_id="org", subscription_id="whk", event_id="evt",
                        event_type="inventory.updated", state=DeliveryState.PENDING, attempts=3,
                        created_at=NOW, updated_at=NOW)
    done = after_attempt(delivery, status=204, error=None, now=NOW)
    assert done.state is DeliveryState.SUCCEEDED and done.delivered_at == NOW
    assert done.next_attempt_at is None


def test_sender_checks_the_address_again_before_posting():
    receiver = Receiver()
    try:
        strict = HttpWebhookSender(allow_loopback=False)
        refused = strict.post(receiver.url(), {}, "{}", timeout_s=2)
        assert refused.status is None and "https" in refused.error
        assert receiver.received == []
        allowed = HttpWebhookSender(allow_loopback=True).post(receiver.url(), {}, "{}", timeout_s=2)
        assert allowed.status == 200 and len(receiver.received) == 1
        closed = HttpWebhookSender(allow_loopback=True).post(
            f"http://127.0.0.1:{free_port()}/x", {}, "{}", timeout_s=2)
        assert closed.status is None and "ConnectionError" in closed.error
    finally:
        receiver.stop()


def test_a_claim_of_many_deliveries_outlasts_every_round_of_timed_out_posts():
    # 200 due deliveries, 16 posted at a time, each may take the 10 s timeout: the last round
    # starts after 12 full rounds, so its deliveries must still be leased then.
    assert lease_for(200, 16, 10) == LEASE + timedelta(seconds=13 * 10)
    assert lease_for(1, 16, 10) == LEASE + timedelta(seconds=10)
    assert lease_for(16, 16, 2.5) == LEASE + timedelta(seconds=2.5)
    assert lease_for(17, 16, 2.5) == LEASE + timedelta(seconds=5)
