"""Webhook subscriptions: subscribe, list, get, delete, rotate the secret, the delivery log, redeliver."""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from ..domain.codes import Scope
from ..domain.commands import CreateSubscription, ListDeliveries
from ..domain.errors import Conflict, NotFound
from ..domain.events import INVENTORY_HISTORY_CHANGED, INVENTORY_LOW_STOCK, INVENTORY_UPDATED
from ..domain.sync import SYNC_COMPLETED
from ..domain.webhooks import (FORMAT_EVENT_TYPES, Delivery, DeliveryState, WebhookFormat,
                               WebhookSubscription)
from .auth import Actor
from .ports import Services, Slice, Transaction
from .results import DeliveryRequeued, SecretRotated, SubscriptionCreated, SubscriptionDeleted
from .unit_of_work import Idempotency, Outcome, run_once
from .url_policy import check_webhook_url

# An event carries data that a key needs this scope to read anywhere else in the API, so it needs
# it to subscribe too: items and their changes (GET /inventory, /events), a sync run (GET
# /inventory/sync/{id}).
READ_SCOPE = {INVENTORY_UPDATED: Scope.INVENTORY_READ, INVENTORY_LOW_STOCK: Scope.INVENTORY_READ,
              SYNC_COMPLETED: Scope.INVENTORY_READ, INVENTORY_HISTORY_CHANGED: Scope.INVENTORY_READ}


def create_subscription(services: Services, actor: Actor, command: CreateSubscription,
                        idempotency: Idempotency) -> Outcome[SubscriptionCreated]:
    """Subscribe a URL to event types; the result holds the signing secret, shown this once."""
    actor.require(Scope.WEBHOOKS_MANAGE)
    actor.check_organization(command.organization_id)
    require_read_scopes(actor, command.events, command.format)
    url = check_webhook_url(command.url, allow_loopback=services.settings.webhook_allow_loopback)
    renderer = services.webhook_renderers[command.format.value]

    def decide(tx: Transaction, now: datetime) -> SubscriptionCreated:
        subscription = WebhookSubscription(
            id=services.new_id("whk"), organization_id=actor.organization_id, url=url,
            events=tuple(dict.fromkeys(command.events)), description=command.description,
            format=command.format, secret=renderer.new_secret(), created_at=now, updated_at=now)
        tx.save_subscription(subscription)
        return SubscriptionCreated(subscription)

    return run_once(services, actor, idempotency, decide)


def require_read_scopes(actor: Actor, events: Sequence[str],
                        webhook_format: WebhookFormat = WebhookFormat.NATIVE) -> None:
    """A key subscribes only to what it may read: the read scope of each event type of ours the
    format's names stand for, all of them for `*`."""
    names = FORMAT_EVENT_TYPES[webhook_format]
    for index, name in enumerate(events):
        for event_type in (names.values() if name == "*" else (names[name],)):
            actor.require(READ_SCOPE[event_type], f"events[{index}]",
                          f", which subscribing to {name!r} needs")


def list_subscriptions(services: Services, actor: Actor) -> Sequence[WebhookSubscription]:
    actor.require(Scope.WEBHOOKS_MANAGE)
    return services.store.list_subscriptions(actor.organization_id)


def get_subscription(services: Services, actor: Actor, subscription_id: str) -> WebhookSubscription:
    actor.require(Scope.WEBHOOKS_MANAGE)
    return _live(services.store.get_subscription(actor.organization_id, subscription_id),
                 subscription_id)


def delete_subscription(services: Services, actor: Actor, subscription_id: str,
                        idempotency: Idempotency) -> Outcome[SubscriptionDeleted]:
    actor.require(Scope.WEBHOOKS_MANAGE)

    def decide(tx: Transaction, now: datetime) -> SubscriptionDeleted:
        found = _live(tx.get_subscription(actor.organization_id, subscription_id), subscription_id)
        deleted = found.model_copy(update={"deleted_at": now, "updated_at": now})
        tx.save_subscription(deleted)
        return SubscriptionDeleted(deleted)

    return run_once(services, actor, idempotency, decide)


def rotate_secret(services: Services, actor: Actor, subscription_id: str,
                  idempotency: Idempotency) -> Outcome[SecretRotated]:
    """A new signing secret (of the subscription's format's kind), effective for every delivery
    attempted from now on."""
    actor.require(Scope.WEBHOOKS_MANAGE)

    def decide(tx: Transaction, now: datetime) -> SecretRotated:
        found = _live(tx.get_subscription(actor.organization_id, subscription_id), subscription_id)
        secret = services.webhook_renderers[found.format.value].new_secret()
        rotated = found.model_copy(update={"secret": secret, "updated_at": now})
        tx.save_subscription(rotated)
        return SecretRotated(rotated)

    return run_once(services, actor, idempotency, decide)


def list_deliveries(services: Services, actor: Actor, subscription_id: str,
                    query: ListDeliveries) -> Slice[Delivery]:
    """The delivery log of a subscription, newest first."""
    get_subscription(services, actor, subscription_id)
    return services.store.list_deliveries(actor.organization_id, subscription_id, query.cursor,
                                          query.limit)


def redeliver(services: Services, actor: Actor, subscription_id: str, delivery_id: str,
              idempotency: Idempotency) -> Outcome[DeliveryRequeued]:
    """Put a dead letter back in the queue for an attempt now, with a fresh retry schedule."""
    actor.require(Scope.WEBHOOKS_MANAGE)

    def decide(tx: Transaction, now: datetime) -> DeliveryRequeued:
        _live(tx.get_subscription(actor.organization_id, subscription_id), subscription_id)
        delivery = tx.get_delivery(delivery_id)
        if (delivery is None or delivery.organization_id != actor.organization_id
                or delivery.subscription_id != subscription_id):
            raise NotFound(f"no delivery {delivery_id}", "delivery_id", "delivery_not_found")
        if delivery.state is not DeliveryState.DEAD:
            raise Conflict("only a dead letter can be redelivered", "delivery_id",
                           "delivery_not_dead")
        again = delivery.model_copy(update={"state": DeliveryState.PENDING, "attempts": 0,
                                            "next_attempt_at": now, "lease_until": None,
                                            "updated_at": now})
        tx.save_delivery(again)
        return DeliveryRequeued(again)

    return run_once(services, actor, idempotency, decide)


def _live(subscription: WebhookSubscription | None, subscription_id: str) -> WebhookSubscription:
    if subscription is None or subscription.deleted_at is not None:
        raise NotFound(f"no webhook subscription {subscription_id}", "id", "subscription_not_found")
    return subscription
