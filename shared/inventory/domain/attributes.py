"""An item's attributes: what a caller sets at creation and edits later — everything but the
quantity, which only the ledger moves."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from .commands import CreateItem
from .errors import InvalidInput
from .models import InventoryItem
from .numbers import normalized


def new_item(command: CreateItem, *, item_id: str, organization_id: str, location_id: str,
             now: datetime) -> InventoryItem:
    """The item a CreateItem describes, at version 1 and holding nothing: its opening quantity
    is its first ledger entry. `location_id` is the id of the location the command names (by
    its id or its code)."""
    fields = command.model_dump(exclude={"organization_id", "notes", "quantity", "location_id",
                                         "attributes", "occurred_at"})
    return InventoryItem(id=item_id, organization_id=organization_id, quantity=Decimal(0),
                         location_id=location_id, attributes=command.item_attributes,
                         created_at=now, updated_at=now, version=1, **fields)


def edit_attributes(item: InventoryItem, attributes: dict[str, Any], now: datetime,
                    bump: bool) -> InventoryItem:
    """The item with these attributes set; `bump` gives it a new version (False when a quantity
    change in the same request already did)."""
    reserved = attributes.get("reserved_quantity", item.reserved_quantity)
    if reserved > item.quantity:
        raise InvalidInput(f"reserved_quantity cannot exceed the {normalized(item.quantity)} on hand",
                           "reserved_quantity", "reserved_exceeds_quantity")
    update = dict(attributes, updated_at=now)
    if bump:
        update["version"] = item.version + 1
    return InventoryItem.model_validate({**item.model_dump(exclude={"available_quantity", "low_stock"}),
                                         **update})
