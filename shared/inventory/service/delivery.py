"""Delivering events to webhook subscribers: fan-out, signed attempts, retries and dead letters.

At-least-once with a stable id: an event becomes one delivery per matching subscription, its
id derived from both, so a redelivered Pub/Sub message finds the same rows. A delivery is
claimed with a lease before it is posted and is never posted again once a 2xx is recorded.
"""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Sequence

from ..domain import wire
from ..domain.models import Event
from ..domain.signing import signed_headers
from ..domain.webhooks import RETRY_SCHEDULE, Delivery, DeliveryState, after_attempt
from .ports import Services, Transaction

LEASE = timedelta(seconds=60)


def delivery_id(event_id: str, subscription_id: str) -> str:
    return "dlv_" + hashlib.sha256(f"{event_id}:{subscription_id}".encode()).hexdigest()[:26]


def fan_out(services: Services, events: Sequence[Event]) -> list[Delivery]:
    """Make the events' deliveries in one transaction (once, however often it is called);
    returns those not yet done."""

    def work(tx: Transaction) -> list[Delivery]:
        now = services.clock.now()
        wanted = []
        for event in events:
            for subscription in tx.subscriptions_for(event.organization_id, event.type):
                wanted.append((event, subscription, tx.get_delivery(delivery_id(event.id, subscription.id))))
        made = []
        for event, subscription, found in wanted:  # every read above, every write below
            if found is None:
                found = Delivery(id=delivery_id(event.id, subscription.id),
                                 organization_id=event.organization_id,
                                 subscription_id=subscription.id, event_id=event.id,
                                 event_type=event.type, state=DeliveryState.PENDING,
                                 created_at=now, updated_at=now)
                tx.save_delivery(found)
            if found.state is DeliveryState.PENDING:
                made.append(found)
        return made

    return services.store.transact(work)


def attempt(services: Services, delivery_id_: str) -> Delivery | None:
    """Claim a due delivery, post it signed, record what happened. None if it was not due."""
    now = services.clock.now()

    def claim(tx: Transaction):
        delivery = tx.get_delivery(delivery_id_)
        if delivery is None or not delivery.is_due(now):
            return None
        subscription = tx.get_subscription(delivery.organization_id, delivery.subscription_id)
        claimed = delivery.model_copy(update={"attempts": delivery.attempts + 1,
                                              "lease_until": now + LEASE, "updated_at": now})
        tx.save_delivery(claimed)
        return claimed, subscription

    claimed = services.store.transact(claim)
    if claimed is None:
        return None
    delivery, subscription = claimed
    event = services.store.get_event(delivery.organization_id, delivery.event_id)
    if subscription is None or subscription.deleted_at is not None or event is None:
        error = "subscription deleted" if event else "event not found"
        outcome = delivery.model_copy(update={"state": DeliveryState.DEAD, "last_error": error,
                                              "lease_until": None, "next_attempt_at": None})
        services.store.transact(lambda tx: tx.save_delivery(outcome))
        return outcome
    body = wire.dumps(event.envelope())
    sent_at = services.clock.now()
    headers = signed_headers(subscription.secret, event.id, int(sent_at.timestamp()), body)
    result = services.sender.post(subscription.url, headers, body, services.settings.webhook_timeout_s)

    def record(tx: Transaction) -> Delivery:
        current = tx.get_delivery(delivery.id)
        if current is not None and current.state is DeliveryState.SUCCEEDED:
            return current
        updated = after_attempt(delivery, status=result.status, error=result.error,
                                now=services.clock.now(), schedule=_schedule(services))
        tx.save_delivery(updated)
        return updated

    return services.store.transact(record)


def deliver_event(services: Services, event: Event) -> list[Delivery]:
    """The dispatcher's work for one published event: fan out, then attempt each in parallel."""
    return _attempt_all(services, [d.id for d in fan_out(services, [event])])


def deliver_due(services: Services, limit: int = 200) -> list[Delivery]:
    """The retry timer's work: attempt every delivery whose next attempt time has come."""
    due = services.store.due_deliveries(services.clock.now(), limit)
    return _attempt_all(services, [d.id for d in due])


def _attempt_all(services: Services, ids: Sequence[str]) -> list[Delivery]:
    # One subscriber's slow answer holds one worker, never the others' deliveries.
    if not ids:
        return []
    workers = min(len(ids), services.settings.webhook_concurrency)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook") as pool:
        return [d for d in pool.map(lambda i: attempt(services, i), ids) if d is not None]


def _schedule(services: Services) -> tuple[timedelta, ...]:
    override = services.settings.webhook_retry_schedule
    return tuple(timedelta(seconds=s) for s in override) if override else RETRY_SCHEDULE
