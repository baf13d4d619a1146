"""Deciding a quantity change: the rules every adjustment, count, transfer and sync obeys."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .codes import REQUIRED_SIGN, ChangeSource, ReasonCode, RoomType, Unit
from .errors import Conflict, InsufficientStock, InvalidInput
from .models import InventoryItem, LedgerEntry
from .numbers import QUANTITY_LIMIT, normalized


@dataclass(frozen=True)
class ChangeContext:
    """Who made a change and under which request, recorded on every ledger entry."""

    source: ChangeSource
    api_key_id: str | None = None
    idempotency_key: str | None = None
    transfer_id: str | None = None
    sync_id: str | None = None


def apply_change(item: InventoryItem, *, quantity_change: Decimal, reason: ReasonCode,
                 notes: str | None, context: ChangeContext, change_id: str, now: datetime,
                 field_prefix: str = "") -> tuple[InventoryItem, LedgerEntry]:
    """Check one change against the item and return the item after it and its ledger entry."""
    field = field_prefix + "quantity_change"
    if item.archived_at is not None:
        raise Conflict(f"item {item.id} is archived", field_prefix + "id", "item_archived")
    sign = REQUIRED_SIGN[reason]
    if quantity_change == 0 and reason is not ReasonCode.AUDIT:
        raise InvalidInput("quantity_change must not be zero", field, "zero_change")
    if sign is not None and (quantity_change > 0) != (sign > 0):
        direction = "negative" if sign < 0 else "positive"
        raise InvalidInput(f"a {reason.value} must have a {direction} quantity_change", field,
                           "wrong_sign_for_reason")
    if item.unit is Unit.EACH and quantity_change != quantity_change.to_integral_value():
        raise InvalidInput("items counted in units change by whole numbers", field,
                           "fractional_quantity_for_unit")
    if reason is ReasonCode.SALE and item.room_type is RoomType.QUARANTINE:
        raise InvalidInput("stock in quarantine cannot be sold", field_prefix + "reason_code",
                           "sale_from_quarantine")
    after = item.quantity + quantity_change
    if after < 0:
        raise InsufficientStock(
            f"only {normalized(item.quantity)} on hand; the change would leave {normalized(after)}",
            field, "negative_stock")
    if reason is ReasonCode.SALE and -quantity_change > item.available_quantity:
        raise InsufficientStock(
            f"only {normalized(item.available_quantity)} available to sell", field,
            "insufficient_available")
    if after >= QUANTITY_LIMIT:
        raise InvalidInput(f"quantity must stay below {QUANTITY_LIMIT}", field, "quantity_out_of_range")
    changed = item.model_copy(update={"quantity": normalized(after), "updated_at": now,
                                      "version": item.version + 1})
    entry = LedgerEntry(
        id=change_id, organization_id=item.organization_id, item_id=item.id,
        location_id=item.location_id, quantity_change=quantity_change,
        quantity_before=item.quantity, quantity_after=changed.quantity, reason_code=reason,
        notes=notes, source=context.source, api_key_id=context.api_key_id,
        idempotency_key=context.idempotency_key, transfer_id=context.transfer_id,
        sync_id=context.sync_id, item_version=changed.version, occurred_at=now)
    return changed, entry


def open_item(item: InventoryItem, *, quantity: Decimal, reason: ReasonCode, notes: str | None,
              context: ChangeContext, change_id: str, now: datetime,
              ) -> tuple[InventoryItem, LedgerEntry | None]:
    """A new item (at version 1, holding nothing) with its opening quantity: the opening is its
    first ledger entry, and an opening of zero writes none (no entry records a change of 0)."""
    if quantity == 0:
        return item, None
    opened, entry = apply_change(item, quantity_change=quantity, reason=reason, notes=notes,
                                 context=context, change_id=change_id, now=now)
    # The opening and the creation are one version.
    return (opened.model_copy(update={"version": item.version}),
            entry.model_copy(update={"item_version": item.version}))


def count_difference(item: InventoryItem, counted: Decimal, field_prefix: str = "") -> Decimal:
    """A physical count becomes the AUDIT change that brings the item to the counted quantity."""
    if counted < 0:
        raise InvalidInput("a counted quantity cannot be negative", field_prefix + "quantity",
                           "negative_count")
    if item.unit is Unit.EACH and counted != counted.to_integral_value():
        raise InvalidInput("items counted in units are counted in whole numbers",
                           field_prefix + "quantity", "fractional_quantity_for_unit")
    return counted - item.quantity
