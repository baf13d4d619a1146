"""Webhook subscriptions, deliveries and their retry schedule."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from .events import EVENT_TYPES, INVENTORY_UPDATED
from .models import Record
from .time import Instant

# Delay before each retry after a failed attempt: about a day in all, then a dead letter.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
    timedelta(hours=5), timedelta(hours=10), timedelta(hours=10))


class DeliveryState(str, Enum):
    PENDING = "pending"        # not yet tried, or due for a retry
    SUCCEEDED = "succeeded"    # the subscriber answered 2xx: never posted again
    DEAD = "dead"              # retries exhausted: kept until redelivered by hand


class WebhookFormat(str, Enum):
    """What a subscription is sent: the payload, its signature, and the event type names it uses."""

    NATIVE = "native"  # Standard Webhooks: our envelope, `webhook-signature`, a whsec_ secret
    SQUARE = "square"  # Square's notifications: `x-square-hmacsha256-signature`, a signature key


SQUARE_COUNT_UPDATED = "inventory.count.updated"
# Each format's event type names -> the event type of ours each one is sent for.
FORMAT_EVENT_TYPES: dict[WebhookFormat, dict[str, str]] = {
    WebhookFormat.NATIVE: {name: name for name in EVENT_TYPES},
    WebhookFormat.SQUARE: {SQUARE_COUNT_UPDATED: INVENTORY_UPDATED},
}


class WebhookSubscription(Record):
    id: str
    organization_id: str
    url: str
    events: tuple[str, ...]  # in the subscription's format's names ("*": all of them)
    description: str | None = None
    format: WebhookFormat = WebhookFormat.NATIVE
    # The signing key (whsec_… natively, a Square signature key in Square's format), shown once
    # at creation and on rotation, never listed or logged.
    secret: str
    created_at: Instant
    updated_at: Instant
    deleted_at: Instant | None = None

    def wants(self, event_type: str) -> bool:
        """Whether one of our events of this type is sent to this subscription (as its format
        names it)."""
        names = FORMAT_EVENT_TYPES[self.format]
        return self.deleted_at is None and any(
            names.get(name) == event_type or (name == "*" and event_type in names.values())
            for name in self.events)


class Delivery(Record):
    """One event to one subscription; its id is derived from both, so it is made once."""

    id: str
    organization_id: str
    subscription_id: str
    event_id: str
    event_type: str
    state: DeliveryState
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    next_attempt_at: Instant | None = None
    lease_until: Instant | None = None
    created_at: Instant
    updated_at: Instant
    delivered_at: Instant | None = None

    def is_due(self, now: datetime) -> bool:
        return (self.state is DeliveryState.PENDING
                and (self.next_attempt_at is None or self.next_attempt_at <= now)
                and (self.lease_until is None or self.lease_until <= now))


def after_attempt(delivery: Delivery, *, status: int | None, error: str | None, now: datetime,
                  schedule: tuple[timedelta, ...] = RETRY_SCHEDULE) -> Delivery:
    """The delivery after one attempt: succeeded on 2xx, else the next retry or a dead letter."""
    common = {"last_status_code": status, "last_error": error, "updated_at": now,
              "lease_until": None}
    if status is not None and 200 <= status < 300:
        return delivery.model_copy(update={**common, "state": DeliveryState.SUCCEEDED,
                                           "delivered_at": now, "next_attempt_at": None})
    retries_done = delivery.attempts - 1
    if retries_done < len(schedule):
        return delivery.model_copy(update={**common, "state": DeliveryState.PENDING,
                                           "next_attempt_at": now + schedule[retries_done]})
    return delivery.model_copy(update={**common, "state": DeliveryState.DEAD, "next_attempt_at": None})
