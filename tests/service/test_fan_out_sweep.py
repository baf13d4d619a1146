"""The fan-out sweep (service/delivery.py, run by retry_webhook_deliveries): an event published
but never fanned out (its dispatcher died with the message) gets its deliveries once it is older
than the bound, on every store; one the dispatcher fanned out is never swept again."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from inventory.domain.webhooks import DeliveryState, WebhookSubscription
from inventory.service import delivery
from inventory.settings import Settings
from manual_clock import ManualClock
from store.builders import ORG, OTHER_ORG, T0, at, event, write


class Queue:
    def __init__(self):
        self.queued = []

    def enqueue(self, deliveries):
        self.queued += [d.id for d in deliveries]


@pytest.fixture
def swept(services):
    clock = ManualClock(at(0))
    queue = Queue()
    mine = replace(services, clock=clock, settings=Settings(fan_out_sweep_after_s=60),
                   delivery_queue_factory=lambda: queue)
    subscription = WebhookSubscription(id="whk_1", organization_id=ORG, url="https://example.com/hook",
                                       events=("inventory.updated",), secret="whsec_" + "a" * 32,
                                       created_at=T0, updated_at=T0)
    mine.store.transact(lambda tx: tx.save_subscription(subscription))
    return mine, clock, queue


def test_an_event_published_but_never_fanned_out_is_fanned_out_after_the_bound(swept):
    services, clock, queue = swept
    write(services.store, events=[event("evt_lost", occurred_at=at(1)), event("evt_done", occurred_at=at(2)),
                                  event("evt_other", occurred_at=at(3), organization_id=OTHER_ORG)])
    services.store.mark_published(["evt_lost", "evt_done", "evt_other"], at(5))
    delivery.fan_out(services, [services.store.get_event(ORG, "evt_done")])  # the dispatcher's

    clock.set(at(5 + 59))
    assert delivery.sweep_unfanned(services) == []  # still the dispatcher's time
    clock.set(at(5 + 61))
    made = delivery.sweep_unfanned(services)
    assert [(d.event_id, d.subscription_id, d.state) for d in made] == [("evt_lost", "whk_1", DeliveryState.PENDING)]
    assert made[0].id == delivery.delivery_id("evt_lost", "whk_1")  # the id the dispatcher would have made
    assert delivery.sweep_unfanned(services) == []  # swept once; evt_other had no subscriber
    assert services.store.events_not_fanned_out(clock.now() + timedelta(days=1), 10) == []


def test_the_retry_timer_queues_what_the_sweep_made(swept):
    services, clock, queue = swept
    write(services.store, events=[event("evt_lost", occurred_at=at(1))])
    services.store.mark_published(["evt_lost"], at(1))
    clock.set(at(100))
    delivery.queue_due(services)
    assert queue.queued == [delivery.delivery_id("evt_lost", "whk_1")]
    queue.queued.clear()
    delivery.queue_due(services)
    assert queue.queued == []  # a lease after its making, it would be queued again as never tried
