"""The events a change emits: `inventory.updated` always, `inventory.low_stock` on a downward
crossing, `inventory.history_changed` when the change happened before it was recorded."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from .models import Event, InventoryItem, LedgerEntry
from .time import format_instant

INVENTORY_UPDATED = "inventory.updated"
INVENTORY_LOW_STOCK = "inventory.low_stock"
INVENTORY_HISTORY_CHANGED = "inventory.history_changed"
EVENT_TYPES = (INVENTORY_UPDATED, INVENTORY_LOW_STOCK, "inventory.sync.completed",
               INVENTORY_HISTORY_CHANGED)
# A subscriber's own organization; and the revision fields, null on an entry as it is written
# (only a later change revises it), so every event message stays within 1.5 kB (README, Cost model).
_NOT_IN_PAYLOAD = frozenset({"organization_id", "revised_at", "revised_by"})
# The client's own names for a change (a Square change's), in the payload only where it sent them.
_CLIENT_REFERENCE = ("reference_id", "team_member_id", "source_application")


def events_for_change(before: InventoryItem | None, after: InventoryItem,
                      entry: LedgerEntry | None, new_id: Callable[[str], str],
                      now: datetime) -> list[Event]:
    """Events for one item change; `entry` is None when only attributes changed. `occurred_at`
    in the data is the change's effective instant; the item is its new current state."""
    item = after.model_dump()
    change = None if entry is None else entry.model_dump(exclude=_NOT_IN_PAYLOAD | {
        name for name in _CLIENT_REFERENCE if getattr(entry, name) is None})
    effective = now if entry is None else entry.occurred_at
    events = [Event(id=new_id("evt"), organization_id=after.organization_id,
                    type=INVENTORY_UPDATED, subject_id=after.id, occurred_at=now,
                    data={"item": item, "change": change,
                          "occurred_at": format_instant(effective)})]
    if effective < now:  # quantities between then and now changed: stored snapshots are stale
        events.append(Event(
            id=new_id("evt"), organization_id=after.organization_id,
            type=INVENTORY_HISTORY_CHANGED, subject_id=after.id, occurred_at=now,
            data={"item_id": after.id, "location_id": after.location_id,
                  "changed_from": format_instant(effective), "change_id": entry.id,
                  "item": item}))
    was_low = before is not None and before.low_stock
    if after.low_stock and not was_low and after.archived_at is None:
        events.append(Event(
            id=new_id("evt"), organization_id=after.organization_id, type=INVENTORY_LOW_STOCK,
            subject_id=after.id, occurred_at=now,
            data={"item": item, "available_quantity": item["available_quantity"],
                  "low_stock_threshold": item["low_stock_threshold"]}))
    return events
