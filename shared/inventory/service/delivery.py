"""Delivering events to webhook subscribers: fan-out, signed attempts, retries and dead letters.

At-least-once with a stable id: an event becomes one delivery per matching subscription, its
id derived from both, so a redelivered Pub/Sub message finds the same rows. Each delivery is
then its own unit of work — claimed with a lease, posted with its own timeout, its answer
recorded — so a subscriber that hangs or fails holds up only its own deliveries. A delivery
whose 2xx is recorded is never posted again.

In the cloud, `dispatch` (webhook_dispatcher) fans an event out and queues each delivery as a
Pub/Sub message of its own, which `deliver` (deliver_webhook) works; `queue_due`
(retry_webhook_deliveries) queues the retries whose time has come. Locally the worker claims
due deliveries and posts each on a thread of its own (local/worker.py).
"""
from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Collection, Sequence

from ..domain.models import Event
from ..domain.webhooks import (RETRY_SCHEDULE, Delivery, DeliveryState, WebhookSubscription,
                               after_attempt)
from .ports import SendResult, Services, Transaction

LEASE = timedelta(seconds=60)


def delivery_id(event_id: str, subscription_id: str) -> str:
    return "dlv_" + hashlib.sha256(f"{event_id}:{subscription_id}".encode()).hexdigest()[:26]


def fan_out(services: Services, events: Sequence[Event]) -> list[Delivery]:
    """Make the events' deliveries in one transaction (once, however often it is called): one
    per subscription that wants the event's type and whose format carries it; returns those not
    yet done."""

    def work(tx: Transaction) -> list[Delivery]:
        now = services.clock.now()
        wanted = []
        subscribers: dict[tuple[str, str], Sequence] = {}  # a page of changes shares a few types
        for event in events:
            kind = (event.organization_id, event.type)
            if kind not in subscribers:
                subscribers[kind] = tx.subscriptions_for(*kind)
            for subscription in subscribers[kind]:
                if services.webhook_renderers[subscription.format.value].carries(event, tx):
                    wanted.append((event, subscription,
                                   tx.get_delivery(delivery_id(event.id, subscription.id))))
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
        tx.mark_fanned_out([event.id for event in events], now)
        return made

    return services.store.transact(work)


def sweep_unfanned(services: Services, limit: int = 100) -> list[Delivery]:
    """Fan out the events published a while ago whose fan-out never happened (the dispatcher
    that took their message died, and the message was not redelivered): the relay covers
    unpublished events, the retry timer existing deliveries, this the step between. The bound
    (settings.fan_out_sweep_after_s) leaves the dispatcher its time; doing it twice is harmless,
    deliveries having ids of their own (delivery_id)."""
    bound = services.clock.now() - timedelta(seconds=_sweep_after_s(services))
    events = services.store.events_not_fanned_out(bound, limit)
    return fan_out(services, events) if events else []


def _sweep_after_s(services: Services) -> float:
    return getattr(services.settings, "fan_out_sweep_after_s", 600.0)


def dispatch(services: Services, event: Event) -> list[Delivery]:
    """webhook_dispatcher's work for one published event: fan it out, then queue each delivery
    that is due as a unit of work of its own. It returns once they are recorded and queued, so
    the event's message is acked at once, whatever its subscribers are doing."""
    pending = fan_out(services, [event])
    now = services.clock.now()
    services.delivery_queue.enqueue([d for d in pending if d.is_due(now)])
    return pending


def queue_due(services: Services, limit: int = 500) -> list[str]:
    """retry_webhook_deliveries' work: fan out the events whose fan-out was lost
    (sweep_unfanned), then queue every delivery whose retry time has come, and any never
    attempted a lease after it was made (its message was lost, or its subscriber had as many
    posts out as it may); younger ones are the dispatcher's, already queued."""
    swept = sweep_unfanned(services)
    now = services.clock.now()
    due = [d for d in services.store.due_deliveries(now, limit)
           if d.next_attempt_at is not None or d.created_at + LEASE <= now]
    queued = {d.id for d in due}
    due += [d for d in swept if d.is_due(now) and d.id not in queued]
    services.delivery_queue.enqueue(due)
    return [d.id for d in due]


class PostsInFlight:
    """The posts this process has out, by subscription: one subscriber may hold at most `cap`
    of its threads, so one that hangs leaves the rest to the others."""

    def __init__(self):
        self._lock = threading.Lock()
        self._out: Counter[str] = Counter()

    def reserve(self, subscription_id: str, cap: int) -> bool:
        with self._lock:
            if self._out[subscription_id] >= cap:
                return False
            self._out[subscription_id] += 1
            return True

    def release(self, subscription_id: str) -> None:
        with self._lock:
            self._out[subscription_id] -= 1
            if self._out[subscription_id] <= 0:
                del self._out[subscription_id]


_posts = PostsInFlight()  # deliver_webhook's, per function instance


def deliver(services: Services, delivery_id: str, subscription_id: str | None = None) -> Delivery | None:
    """One delivery as its own unit of work (deliver_webhook's): claim it if it is due, post it
    with the timeout, record the answer. None when it was not due (done, waiting for its retry
    time, or claimed by another worker), or when its subscription already has as many posts out
    of this instance as it may: then it stays due, and the retry timer queues it again."""
    cap = services.settings.webhook_subscriber_concurrency
    if subscription_id is not None and not _posts.reserve(subscription_id, cap):
        return None
    try:
        claimed = claim(services, [delivery_id])
        if not claimed:
            return None
        [done] = record(services, [(claimed[0].delivery, attempt(services, claimed[0]))])
        return done
    finally:
        if subscription_id is not None:
            _posts.release(subscription_id)


@dataclass(frozen=True)
class Claimed:
    """A delivery leased to this worker for one attempt, and its subscription as it was then."""

    delivery: Delivery
    subscription: WebhookSubscription | None


Settle = Callable[[Delivery, datetime], Delivery]  # a claimed delivery, once its attempt is over


def lease_for(count: int, concurrency: int, timeout_s: float) -> timedelta:
    """How long a delivery stays leased when `count` deliveries are claimed for `concurrency`
    posts at a time: long enough for the last of them to be posted after every earlier round
    has timed out, so no other worker claims (and posts again) one still waiting its turn; a
    worker that dies leaves them to be retried after that."""
    rounds = -(-count // max(concurrency, 1))
    return LEASE + timedelta(seconds=rounds * timeout_s)


def claim(services: Services, ids: Sequence[str], lease: timedelta | None = None) -> list[Claimed]:
    """Lease each of these deliveries that is due (an attempt more) in one transaction, with
    its subscription: every read first. The lease defaults to one post's."""
    if not ids:
        return []
    lease = lease or lease_for(1, 1, services.settings.webhook_timeout_s)

    def work(tx: Transaction) -> list[Claimed]:
        now = services.clock.now()
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
            claimed.append(Claimed(leased, subscriptions[(delivery.organization_id,
                                                          delivery.subscription_id)]))
        return claimed

    return services.store.transact(work)


def attempt(services: Services, claimed: Claimed) -> Settle:
    """Post a claimed delivery once, rendered and signed in its subscription's format, with the
    configured timeout; returns how to record it. A deleted subscription or a vanished event
    makes it a dead letter without a post."""
    subscription, delivery = claimed.subscription, claimed.delivery
    if subscription is None or subscription.deleted_at is not None:
        return _dead("subscription deleted")
    event = services.store.get_event(delivery.organization_id, delivery.event_id)
    if event is None:
        return _dead("event not found")
    renderer = services.webhook_renderers[subscription.format.value]
    signed = renderer.render(services.store, event, subscription, services.clock.now())
    result = services.sender.post(subscription.url, signed.headers, signed.body,
                                  services.settings.webhook_timeout_s)
    return _answered(result, retry_schedule(services))


def record(services: Services, outcomes: Sequence[tuple[Delivery, Settle]]) -> list[Delivery]:
    """Save the outcomes in one transaction; a delivery already recorded as succeeded (by
    another worker after a Pub/Sub redelivery) stays as it is."""
    if not outcomes:
        return []

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


def due(services: Services, limit: int, skip_subscriptions: Collection[str] = ()) -> list[Delivery]:
    """Deliveries whose attempt time has come, leaving out those of the given subscriptions
    (ones that already have as many posts in flight as they may)."""
    return list(services.store.due_deliveries(services.clock.now(), limit, skip_subscriptions))


def retry_schedule(services: Services) -> tuple[timedelta, ...]:
    override = services.settings.webhook_retry_schedule
    return tuple(timedelta(seconds=s) for s in override) if override else RETRY_SCHEDULE


def failed(services: Services, error: str) -> Settle:
    """An attempt that ended without an answer for a reason of our own: retried on schedule."""
    return _answered(SendResult(None, error), retry_schedule(services))


def _answered(result: SendResult, schedule: tuple[timedelta, ...]) -> Settle:
    return lambda delivery, now: after_attempt(delivery, status=result.status, error=result.error,
                                               now=now, schedule=schedule)


def _dead(error: str) -> Settle:
    return lambda delivery, now: delivery.model_copy(update={
        "state": DeliveryState.DEAD, "last_error": error, "lease_until": None,
        "next_attempt_at": None, "updated_at": now})
