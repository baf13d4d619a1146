"""The native dialect's body for each write result: what it sends, and what a retry with the same
Idempotency-Key is sent again. The status is the route's own (`status=` where it is declared)."""
from __future__ import annotations

from typing import Any

from ..service.results import (BulkApplied, DeliveryRequeued, ItemArchived, ItemChanged,
                               ItemCreated, LocationCreated, LocationUpdated, PosConnectionSet,
                               SecretRotated, SubscriptionCreated, SubscriptionDeleted, SyncQueued,
                               Transferred)
from .views import (ChangeView, DeliveryView, ItemView, LocationView, PosConnectionView,
                    SubscriptionView, SubscriptionWithSecretView, SyncRunView)

Body = dict[str, Any]


def item(result: ItemCreated | ItemArchived) -> Body:
    return {"data": ItemView.show(result.item)}


def item_changed(result: ItemChanged) -> Body:
    body = {"data": ItemView.show(result.item)}
    if result.entry is not None:
        body["change"] = ChangeView.show(result.entry)
    return body


def bulk_applied(result: BulkApplied) -> Body:
    return {"data": ItemView.show_all(result.items), "changes": ChangeView.show_all(result.entries)}


def transferred(result: Transferred) -> Body:
    return {"data": {"transfer_id": result.transfer_id, "quantity": result.quantity,
                     "from_item": ItemView.show(result.source),
                     "to_item": ItemView.show(result.destination),
                     "changes": ChangeView.show_all(result.entries)}}


def location(result: LocationCreated | LocationUpdated) -> Body:
    return {"data": LocationView.show(result.location)}


def subscription_with_secret(result: SubscriptionCreated | SecretRotated) -> Body:
    return {"data": SubscriptionWithSecretView.show(result.subscription)}


def subscription(result: SubscriptionDeleted) -> Body:
    return {"data": SubscriptionView.show(result.subscription)}


def delivery(result: DeliveryRequeued) -> Body:
    return {"data": DeliveryView.show(result.delivery)}


def pos_connection(result: PosConnectionSet) -> Body:
    return {"data": PosConnectionView.show(result.connection)}


def sync_run(result: SyncQueued) -> Body:
    return {"data": SyncRunView.show(result.run)}
