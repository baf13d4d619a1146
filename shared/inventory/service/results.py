"""What the write use cases return: domain results, which each dialect renders in its own shape.
(Named tuples: immutable, typed, and quick to define at a function's cold start.)"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, Sequence

if TYPE_CHECKING:  # names for annotations only
    from ..domain.models import InventoryItem, LedgerEntry, Location
    from ..domain.sync import PosConnection, SyncRun
    from ..domain.webhooks import Delivery, WebhookSubscription


class ItemCreated(NamedTuple):
    item: InventoryItem
    entry: LedgerEntry | None  # the opening quantity (None when it is zero)


class ItemChanged(NamedTuple):
    """An item after a change with a reason, a count and/or attribute edits; `entry` is the
    ledger entry when its quantity changed."""
    item: InventoryItem
    entry: LedgerEntry | None


class BulkApplied(NamedTuple):
    items: Sequence[InventoryItem]  # each item touched, once, in request order
    entries: Sequence[LedgerEntry]  # every ledger entry written, in request order


class RowsCounted(NamedTuple):
    """Stock rows counted through the ledger and kept: how many replaced a kept row."""
    applied: BulkApplied
    updated: int
    inserted: int


class ItemArchived(NamedTuple):
    item: InventoryItem


class Transferred(NamedTuple):
    transfer_id: str
    quantity: Decimal
    source: InventoryItem
    destination: InventoryItem
    entries: tuple[LedgerEntry, LedgerEntry]  # out of the source, into the destination


class LocationCreated(NamedTuple):
    location: Location


class LocationUpdated(NamedTuple):
    location: Location


class SubscriptionCreated(NamedTuple):
    """A new subscription, with its signing secret: shown this once."""
    subscription: WebhookSubscription
    holds_secret = True  # sealed where it is kept for replay


class SecretRotated(NamedTuple):
    """A subscription with its new signing secret: shown this once."""
    subscription: WebhookSubscription
    holds_secret = True  # sealed where it is kept for replay


class SubscriptionDeleted(NamedTuple):
    subscription: WebhookSubscription


class DeliveryRequeued(NamedTuple):
    """A dead letter put back in the queue for an attempt now."""
    delivery: Delivery


class PosConnectionSet(NamedTuple):
    connection: PosConnection


class SyncQueued(NamedTuple):
    run: SyncRun
