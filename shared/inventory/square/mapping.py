"""The one mapping between Square's inventory objects and the ledger (README, "Square dialect").

catalog_object_id is our product_id; a Square location is our location (by id); its counts live
in the location's sales floor. States map to reason codes as in STATE_REASONS; a ledger entry
written by any dialect is shown as the Square change of the same id.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from ..domain.codes import ReasonCode, RoomType
from ..domain.errors import InvalidInput
from ..domain.models import InventoryItem, LedgerEntry
from ..domain.numbers import normalized
from ..domain.time import format_instant, parse_instant
from .requests import Change

ROOM = RoomType.SALES_FLOOR
CATALOG_OBJECT_TYPE = "ITEM_VARIATION"
IN_STOCK = "IN_STOCK"
# (from_state, to_state) of an ADJUSTMENT -> (reason, sign of our quantity_change).
STATE_REASONS: dict[tuple[str, str], tuple[ReasonCode, int]] = {
    (IN_STOCK, "SOLD"): (ReasonCode.SALE, -1),
    (IN_STOCK, "WASTE"): (ReasonCode.DAMAGE, -1),
    ("RETURNED_BY_CUSTOMER", IN_STOCK): (ReasonCode.RETURN, 1),
    ("NONE", IN_STOCK): (ReasonCode.ADJUSTMENT, 1),
    (IN_STOCK, "NONE"): (ReasonCode.ADJUSTMENT, -1),
}
# A reason's other state, for showing a ledger entry as a Square adjustment (THEFT is WASTE too;
# a TRANSFER entry, one leg of a move, enters or leaves IN_STOCK from NONE).
OTHER_STATE: dict[ReasonCode, str] = {
    ReasonCode.SALE: "SOLD", ReasonCode.DAMAGE: "WASTE", ReasonCode.THEFT: "WASTE",
    ReasonCode.RETURN: "RETURNED_BY_CUSTOMER", ReasonCode.ADJUSTMENT: "NONE",
    ReasonCode.TRANSFER: "NONE",
}
# Until the ledger is effective-dated, a change is recorded when it arrives: an occurred_at
# further than this from the server's clock is refused rather than silently moved.
OCCURRED_AT_TOLERANCE = timedelta(minutes=10)


def refused(field: str, code: str, detail: str) -> InvalidInput:
    """A refusal in Square's vocabulary (`code` is one of Square's ErrorCode values)."""
    return InvalidInput(detail, field, code)


@dataclass(frozen=True)
class NativeChange:
    """One Square change as the ledger takes it: a change with a reason, or a count."""

    catalog_object_id: str
    location_id: str
    reason: ReasonCode
    quantity_change: Decimal | None = None
    counted: Decimal | None = None


def to_native(change: Change, index: int, now: datetime) -> NativeChange:
    """A Square InventoryChange as the change it makes to the ledger, or a refusal naming its field."""
    prefix = f"changes[{index}]"
    if change.type == "TRANSFER":
        raise refused(f"{prefix}.type", "INVALID_VALUE",
                      "TRANSFER changes are not served yet; move stock with POST /api/v1/inventory/transfers")
    if change.type == "PHYSICAL_COUNT":
        count = change.physical_count
        if count is None:
            raise refused(f"{prefix}.physical_count", "MISSING_REQUIRED_PARAMETER",
                          "a PHYSICAL_COUNT change needs physical_count")
        field = f"{prefix}.physical_count"
        if count.state != IN_STOCK:
            raise refused(f"{field}.state", "INVALID_VALUE",
                          f"only IN_STOCK is counted here, not {count.state}")
        _check_occurred_at(count.occurred_at, f"{field}.occurred_at", now)
        counted = _quantity(count.quantity, f"{field}.quantity", allow_zero=True)
        return NativeChange(count.catalog_object_id, count.location_id, ReasonCode.AUDIT,
                            counted=counted)
    adjustment = change.adjustment
    if adjustment is None:
        raise refused(f"{prefix}.adjustment", "MISSING_REQUIRED_PARAMETER",
                      "an ADJUSTMENT change needs adjustment")
    field = f"{prefix}.adjustment"
    location = _adjustment_location(adjustment, field)
    mapped = STATE_REASONS.get((adjustment.from_state, adjustment.to_state))
    if mapped is None:
        raise refused(f"{field}.to_state", "INVALID_VALUE",
                      f"{adjustment.from_state} to {adjustment.to_state} is not a change this "
                      f"ledger records; use one of {', '.join(f'{a}->{b}' for a, b in STATE_REASONS)}")
    _check_occurred_at(adjustment.occurred_at, f"{field}.occurred_at", now)
    reason, sign = mapped
    quantity = _quantity(adjustment.quantity, f"{field}.quantity", allow_zero=False)
    return NativeChange(adjustment.catalog_object_id, location, reason,
                        quantity_change=quantity * sign)


def _adjustment_location(adjustment, field: str) -> str:
    named = {adjustment.location_id, adjustment.from_location_id, adjustment.to_location_id} - {None}
    if not named:
        raise refused(f"{field}.location_id", "MISSING_REQUIRED_PARAMETER",
                      "an adjustment needs location_id (or from_location_id)")
    if len(named) > 1:
        raise refused(f"{field}.to_location_id", "INVALID_VALUE",
                      "a cross-location adjustment is a transfer, which is not served yet")
    return named.pop()


def _quantity(text: str, field: str, allow_zero: bool) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise refused(field, "INVALID_VALUE", f"{text!r} is not a decimal number") from None
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero):
        raise refused(field, "INVALID_VALUE",
                      "quantity must be a positive decimal string" if not allow_zero
                      else "quantity must be a decimal string of zero or more")
    return value


def _check_occurred_at(text: str, field: str, now: datetime) -> None:
    try:
        when = parse_instant(text)
    except ValueError:
        raise refused(field, "INVALID_TIME", "occurred_at must be an RFC 3339 time with an offset") from None
    if abs(when - now) > OCCURRED_AT_TOLERANCE:
        raise refused(field, "INVALID_TIME",
                      "occurred_at must be within 10 minutes of now: changes are recorded when "
                      "they arrive (backdating needs the effective-dated ledger)")


def quantity_text(value: Decimal) -> str:
    """Square's decimal string: no exponent, no trailing zeros."""
    return format(normalized(value), "f")


def time_text(value: datetime) -> str:
    return format_instant(value)


def square_change(entry: LedgerEntry, item: InventoryItem) -> dict:
    """A ledger entry as a Square InventoryChange with the entry's id."""
    common = {"id": entry.id, "catalog_object_id": item.product_id,
              "catalog_object_type": CATALOG_OBJECT_TYPE, "location_id": entry.location_id,
              "occurred_at": time_text(entry.occurred_at), "created_at": time_text(entry.occurred_at)}
    if entry.reason_code is ReasonCode.AUDIT:
        return {"type": "PHYSICAL_COUNT", "physical_count": {
            **common, "state": IN_STOCK, "quantity": quantity_text(entry.quantity_after)}}
    other = OTHER_STATE[entry.reason_code]
    leaving = entry.quantity_change < 0
    return {"type": "ADJUSTMENT", "adjustment": {
        **common, "from_location_id": entry.location_id, "to_location_id": entry.location_id,
        "from_state": IN_STOCK if leaving else other, "to_state": other if leaving else IN_STOCK,
        "quantity": quantity_text(abs(entry.quantity_change))}}


def square_counts(item: InventoryItem) -> list[dict]:
    """An item's Square counts: IN_STOCK is the quantity on hand (reserved units included);
    RESERVED_FOR_SALE, read-only, is its reserved quantity when it holds any."""
    common = {"catalog_object_id": item.product_id, "catalog_object_type": CATALOG_OBJECT_TYPE,
              "location_id": item.location_id, "calculated_at": time_text(item.updated_at),
              "is_estimated": False}
    counts = [{**common, "state": IN_STOCK, "quantity": quantity_text(item.quantity)}]
    if item.reserved_quantity:
        counts.append({**common, "state": "RESERVED_FOR_SALE",
                       "quantity": quantity_text(item.reserved_quantity)})
    return counts
