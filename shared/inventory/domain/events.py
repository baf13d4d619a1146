"""The events a change emits: `inventory.updated` always, `inventory.low_stock` on a downward crossing."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from .models import Event, InventoryItem, LedgerEntry

INVENTORY_UPDATED = "inventory.updated"
INVENTORY_LOW_STOCK = "inventory.low_stock"
EVENT_TYPES = (INVENTORY_UPDATED, INVENTORY_LOW_STOCK, "inventory.sync.completed")


def events_for_change(before: InventoryItem | None, after: InventoryItem,
                      entry: LedgerEntry | None, new_id: Callable[[str], str],
                      now: datetime) -> list[Event]:
    """Events for one item change; `entry` is None when only attributes changed."""
    item = after.model_dump()
    change = None
    if entry is not None:
        change = {k: v for k, v in entry.model_dump().items() if k not in ("organization_id",)}
    events = [Event(id=new_id("evt"), organization_id=after.organization_id,
                    type=INVENTORY_UPDATED, subject_id=after.id, occurred_at=now,
                    data={"item": item, "change": change})]
    was_low = before is not None and before.low_stock
    if after.low_stock and not was_low and after.archived_at is None:
        events.append(Event(
            id=new_id("evt"), organization_id=after.organization_id, type=INVENTORY_LOW_STOCK,
            subject_id=after.id, occurred_at=now,
            data={"item": item, "available_quantity": item["available_quantity"],
                  "low_stock_threshold": item["low_stock_threshold"]}))
    return events
