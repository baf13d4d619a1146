"""Writing one item change in a transaction: the item, its ledger entry and its outbox events."""
from __future__ import annotations

from datetime import datetime

from ..domain.errors import Conflict, NotFound
from ..domain.events import events_for_change
from ..domain.models import InventoryItem, LedgerEntry
from .ports import Services, Transaction


def active_item(tx: Transaction, organization_id: str, item_id: str) -> InventoryItem:
    """The item; refused (NotFound) if unknown, (Conflict) if archived."""
    item = tx.get_item(organization_id, item_id)
    if item is None:
        raise NotFound(f"no inventory item {item_id}", "id", "item_not_found")
    if item.archived_at is not None:
        raise Conflict(f"item {item_id} is archived", "id", "item_archived")
    return item


def record_change(services: Services, tx: Transaction, before: InventoryItem | None,
                  after: InventoryItem, entry: LedgerEntry | None, now: datetime, save: bool = True,
                  append: bool = True) -> None:
    """Write the item, its ledger entry (unless a DatedLedger writes it: `append` False) and its
    outbox events in the caller's transaction."""
    if save:
        tx.save_item(after)
    if entry is not None and append:
        tx.append_ledger(entry)
    for event in events_for_change(before, after, entry, services.new_id, now):
        tx.append_event(event)

