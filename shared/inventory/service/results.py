"""What the write use cases return: domain results, which each dialect renders in its own shape."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Sequence

if TYPE_CHECKING:  # names for annotations only
    from ..domain.models import InventoryItem, LedgerEntry, Location
    from ..domain.sync import PosConnection, SyncRun
    from ..domain.webhooks import Delivery, WebhookSubscription


@dataclass(frozen=True)
class ItemCreated:
    item: InventoryItem
    entry: LedgerEntry | None  # the opening quantity (None when it is zero)


@dataclass(frozen=True)
class ItemChanged:
    """An item after a change with a reason, a count and/or attribute edits; `entry` is the
    ledger entry when its quantity changed."""
    item: InventoryItem
    entry: LedgerEntry | None


@dataclass(frozen=True)
class BulkApplied:
    items: Sequence[InventoryItem]  # each item touched, once, in request order
    entries: Sequence[LedgerEntry]  # every ledger entry written, in request order


@dataclass(frozen=True)
class ItemArchived:
    item: InventoryItem


@dataclass(frozen=True)
class Transferred:
    transfer_id: str
    quantity: Decimal
    source: InventoryItem
    destination: InventoryItem
    entries: tuple[LedgerEntry, LedgerEntry]  # out of the source, into the destination


@dataclass(frozen=True)
class LocationCreated:
    location: Location


@dataclass(frozen=True)
class SubscriptionCreated:
    """A new subscription, with its signing secret: shown this once."""
    subscription: WebhookSubscription
    holds_secret: ClassVar[bool] = True


@dataclass(frozen=True)
class SecretRotated:
    """A subscription with its new signing secret: shown this once."""
    subscription: WebhookSubscription
    holds_secret: ClassVar[bool] = True


@dataclass(frozen=True)
class SubscriptionDeleted:
    subscription: WebhookSubscription


@dataclass(frozen=True)
class DeliveryRequeued:
    """A dead letter put back in the queue for an attempt now."""
    delivery: Delivery


@dataclass(frozen=True)
class PosConnectionSet:
    connection: PosConnection


@dataclass(frozen=True)
class SyncQueued:
    run: SyncRun
