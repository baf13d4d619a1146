"""Delivering events to webhook subscribers: fan-out, signed attempts, retries and dead letters.

At-least-once with a stable id: an event becomes one delivery per matching subscription, its
id derived from both, so a redelivered Pub/Sub message finds the same rows. A delivery is
claimed with a lease before it is posted and is never posted again once a 2xx is recorded.
"""
from __future__ import annotations

import hashlib
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Callable, Sequence

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
        subscribers: dict[tuple[str, str], Sequence] = {}  # a page of changes shares a few types
        for event in events:
            kind = (event.organization_id, event.type)
            if kind not in subscribers:
                subscribers[kind] = tx.subscriptions_for(*kind)
            for subscription in subscribers[kind]:
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


def deliver_event(services: Services, event: Event) -> list[Delivery]:
    """The dispatcher's work for one published event: fan out, then attempt each in parallel."""
    return _attempt_all(services, [d.id for d in fan_out(services, [event])], {event.id: event})


def deliver_due(services: Services, limit: int = 200) -> list[Delivery]:
    """The retry timer's work: attempt every delivery whose next attempt time has come."""
    due = services.store.due_deliveries(services.clock.now(), limit)
    return _attempt_all(services, [d.id for d in due])


Settle = Callable[[Delivery, datetime], Delivery]  # a claimed delivery, once its attempt is over


def _attempt_all(services: Services, ids: Sequence[str],
                 events: dict[str, Event] | None = None) -> list[Delivery]:
    """Claim the due deliveries in one transaction, post them in parallel (one subscriber's slow
    answer holds one worker, never the others' deliveries), and record the outcomes as they
    come: every answer that arrived meanwhile in one transaction, so a success is on record
    moments after its 2xx however many posts are still out."""
    if not ids:
        return []
    now = services.clock.now()
    settings = services.settings
    lease = lease_for(len(ids), settings.webhook_concurrency, settings.webhook_timeout_s)
    claimed = services.store.transact(lambda tx: _claim(tx, ids, now, lease))
    events = dict(events or {})
    posts, finished = [], []
    refused: list[tuple[Delivery, Settle]] = []
    for delivery, subscription in claimed:
        if delivery.event_id not in events:
            events[delivery.event_id] = services.store.get_event(delivery.organization_id,
                                                                 delivery.event_id)
        event = events[delivery.event_id]
        if subscription is None or subscription.deleted_at is not None or event is None:
            refused.append((delivery, _dead("subscription deleted" if event else "event not found")))
        else:
            posts.append((delivery, subscription, event))
    if refused:
        finished += _record(services, refused)
    if not posts:
        return finished
    schedule = _schedule(services)
    with ThreadPoolExecutor(max_workers=min(len(posts), services.settings.webhook_concurrency),
                            thread_name_prefix="webhook") as pool:
        out = {pool.submit(_post, services, subscription, event): delivery
               for delivery, subscription, event in posts}
        while out:
            done, _ = wait(out, return_when=FIRST_COMPLETED)
            finished += _record(services, [(out.pop(f), _answered(f.result(), schedule))
                                           for f in done])
    return finished


def lease_for(count: int, concurrency: int, timeout_s: float) -> timedelta:
    """How long `count` deliveries claimed together stay leased: long enough for the last of
    them to be posted after every earlier round of `concurrency` posts has timed out, so no
    other worker can claim (and post again) one that is still waiting its turn here."""
    rounds = -(-count // max(concurrency, 1))
    return LEASE + timedelta(seconds=rounds * timeout_s)


def _claim(tx: Transaction, ids: Sequence[str], now: datetime, lease: timedelta):
    """Lease each due delivery (an attempt more) and read its subscription: every read first."""
    due = [d for d in (tx.get_delivery(i) for i in ids) if d is not None and d.is_due(now)]
    subscriptions = {}
    for delivery in due:
        key = (delivery.organization_id, delivery.subscription_id)
        if key not in subscriptions:
            subscriptions[key] = tx.get_subscription(*key)
    claimed = []
    for delivery in due:
        leased = delivery.model_copy(update={"attempts": delivery.attempts + 1,
                                             "lease_until": now + lease, "updated_at": now})
        tx.save_delivery(leased)
        claimed.append((leased, subscriptions[(delivery.organization_id, delivery.subscription_id)]))
    return claimed


def _post(services: Services, subscription, event: Event):
    body = wire.dumps(event.envelope())
    sent_at = services.clock.now()
    headers = signed_headers(subscription.secret, event.id, int(sent_at.timestamp()), body)
    return services.sender.post(subscription.url, headers, body, services.settings.webhook_timeout_s)


def _answered(result, schedule: tuple[timedelta, ...]) -> Settle:
    return lambda delivery, now: after_attempt(delivery, status=result.status, error=result.error,
                                               now=now, schedule=schedule)


def _dead(error: str) -> Settle:
    return lambda delivery, now: delivery.model_copy(update={
        "state": DeliveryState.DEAD, "last_error": error, "lease_until": None,
        "next_attempt_at": None, "updated_at": now})


def _record(services: Services, outcomes: Sequence[tuple[Delivery, Settle]]) -> list[Delivery]:
    """Save the outcomes in one transaction; a delivery already recorded as succeeded (by
    another worker after a Pub/Sub redelivery) stays as it is."""

    def work(tx: Transaction) -> list[Delivery]:
        current = [tx.get_delivery(delivery.id) for delivery, _ in outcomes]
        now, saved = services.clock.now(), []
        for (delivery, outcome), found in zip(outcomes, current):
            if found is not None and found.state is DeliveryState.SUCCEEDED:
                saved.append(found)
                continue
            updated = outcome(delivery, now)
            tx.save_delivery(updated)
            saved.append(updated)
        return saved

    return services.store.transact(work)


def _schedule(services: Services) -> tuple[timedelta, ...]:
    override = services.settings.webhook_retry_schedule
    return tuple(timedelta(seconds=s) for s in override) if override else RETRY_SCHEDULE
