"""The one mapping between Square's inventory objects and the ledger (README, "Square dialect").

catalog_object_id is our product_id; a Square location is our location (by id or code); its
counts live in the room the location names for Square (`square_room_type`, the sales floor unless
it says otherwise). States map to reason codes as in STATE_REASONS; a ledger entry written by any
dialect is shown as the Square change of the same id, except a transfer between two locations'
Square rooms: its two entries are one TRANSFER change with the transfer's id.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ..domain.codes import ReasonCode
from ..domain.errors import InvalidInput
from ..domain.ledger import ClientReference
from ..domain.models import InventoryItem, LedgerEntry
from ..domain.numbers import normalized
from ..domain.time import format_instant, parse_instant
from .requests import Change

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
# a TRANSFER entry whose other leg Square does not see enters or leaves IN_STOCK from NONE).
OTHER_STATE: dict[ReasonCode, str] = {
    ReasonCode.SALE: "SOLD", ReasonCode.DAMAGE: "WASTE", ReasonCode.THEFT: "WASTE",
    ReasonCode.RETURN: "RETURNED_BY_CUSTOMER", ReasonCode.ADJUSTMENT: "NONE",
    ReasonCode.TRANSFER: "NONE",
}


def refused(field: str, code: str, detail: str) -> InvalidInput:
    """A refusal in Square's vocabulary (`code` is one of Square's ErrorCode values)."""
    return InvalidInput(detail, field, code)


@dataclass(frozen=True)
class NativeChange:
    """One Square change as the ledger takes it: a change with a reason, a count, or a transfer
    to another location, at its effective instant, with the client's own names for it."""

    kind: str  # the Square object it came in ("adjustment", "physical_count", "transfer")
    catalog_object_id: str
    location_id: str
    reason: ReasonCode
    occurred_at: datetime
    client: ClientReference
    quantity_change: Decimal | None = None
    counted: Decimal | None = None
    to_location_id: str | None = None  # a transfer's destination; it moves `quantity_change`


def to_native(change: Change, index: int) -> NativeChange:
    """A Square InventoryChange as the change it makes to the ledger, or a refusal naming its field.
    Its `occurred_at` is taken as sent: the ledger places it (or refuses it) in effective order."""
    prefix = f"changes[{index}]"
    kind = {"PHYSICAL_COUNT": "physical_count", "ADJUSTMENT": "adjustment", "TRANSFER": "transfer"}[change.type]
    sent = getattr(change, kind)
    field = f"{prefix}.{kind}"
    if sent is None:
        raise refused(field, "MISSING_REQUIRED_PARAMETER", f"a {change.type} change needs {kind}")
    common = dict(kind=kind, catalog_object_id=sent.catalog_object_id,
                  occurred_at=_instant(sent.occurred_at, f"{field}.occurred_at"),
                  client=_client(sent, field))
    if change.type == "PHYSICAL_COUNT":
        if sent.state != IN_STOCK:
            raise refused(f"{field}.state", "INVALID_VALUE", f"only IN_STOCK is counted here, not {sent.state}")
        counted = _quantity(sent.quantity, f"{field}.quantity", allow_zero=True)
        return NativeChange(location_id=sent.location_id, reason=ReasonCode.AUDIT, counted=counted, **common)
    if change.type == "TRANSFER":
        if sent.state != IN_STOCK:
            raise refused(f"{field}.state", "INVALID_VALUE", f"only IN_STOCK moves between locations, not {sent.state}")
        moved = _quantity(sent.quantity, f"{field}.quantity", allow_zero=False)
        return NativeChange(location_id=sent.from_location_id, reason=ReasonCode.TRANSFER,
                            quantity_change=moved, to_location_id=sent.to_location_id, **common)
    location = _adjustment_location(sent, field)
    mapped = STATE_REASONS.get((sent.from_state, sent.to_state))
    if mapped is None:
        raise refused(f"{field}.to_state", "INVALID_VALUE",
                      f"{sent.from_state} to {sent.to_state} is not a change this "
                      f"ledger records; use one of {', '.join(f'{a}->{b}' for a, b in STATE_REASONS)}")
    reason, sign = mapped
    quantity = _quantity(sent.quantity, f"{field}.quantity", allow_zero=False)
    return NativeChange(location_id=location, reason=reason, quantity_change=quantity * sign, **common)


def _client(sent, field: str) -> ClientReference:
    """The client's reference, team member (Square's older `employee_id` is the same person)
    and source application, kept on the entry."""
    if sent.employee_id and sent.team_member_id and sent.employee_id != sent.team_member_id:
        raise refused(f"{field}.employee_id", "INVALID_VALUE",
                      "employee_id and team_member_id name one person here: send one, or the same id")
    source = sent.source.model_dump(exclude_none=True) if sent.source else None
    return ClientReference(reference_id=sent.reference_id,
                           team_member_id=sent.team_member_id or sent.employee_id,
                           source_application=source or None)


def _adjustment_location(adjustment, field: str) -> str:
    named = {adjustment.location_id, adjustment.from_location_id, adjustment.to_location_id} - {None}
    if not named:
        raise refused(f"{field}.location_id", "MISSING_REQUIRED_PARAMETER",
                      "an adjustment needs location_id (or from_location_id)")
    if len(named) > 1:
        raise refused(f"{field}.to_location_id", "INVALID_VALUE",
                      "an adjustment stays at one location; move stock between locations with a TRANSFER change")
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


def _instant(text: str, field: str) -> datetime:
    try:
        return parse_instant(text)
    except ValueError:
        raise refused(field, "INVALID_TIME", "occurred_at must be an RFC 3339 time with an offset") from None


def quantity_text(value: Decimal) -> str:
    """Square's decimal string: no exponent, no trailing zeros."""
    return format(normalized(value), "f")


def time_text(value: datetime) -> str:
    return format_instant(value)


def _shown_common(entry: LedgerEntry, product_id: str) -> dict:
    """What every Square change shows of a ledger entry: when it happened and was recorded, and
    the client's own names for it where it sent them."""
    common = {"catalog_object_id": product_id, "catalog_object_type": CATALOG_OBJECT_TYPE,
              "occurred_at": time_text(entry.occurred_at), "created_at": time_text(entry.recorded_at)}
    if entry.reference_id is not None:
        common["reference_id"] = entry.reference_id
    if entry.team_member_id is not None:
        common["team_member_id"] = common["employee_id"] = entry.team_member_id
    if entry.source_application:
        common["source"] = dict(entry.source_application)
    return common


def square_change(entry: LedgerEntry, item: InventoryItem) -> dict:
    """A ledger entry as a Square InventoryChange with the entry's id."""
    common = {"id": entry.id, **_shown_common(entry, item.product_id), "location_id": entry.location_id}
    if entry.reason_code is ReasonCode.AUDIT:
        return {"type": "PHYSICAL_COUNT", "physical_count": {
            **common, "state": IN_STOCK, "quantity": quantity_text(entry.quantity_after)}}
    other = OTHER_STATE[entry.reason_code]
    leaving = entry.quantity_change < 0
    return {"type": "ADJUSTMENT", "adjustment": {
        **common, "from_location_id": entry.location_id, "to_location_id": entry.location_id,
        "from_state": IN_STOCK if leaving else other, "to_state": other if leaving else IN_STOCK,
        "quantity": quantity_text(abs(entry.quantity_change))}}


def square_transfer(out_entry: LedgerEntry, in_entry: LedgerEntry, product_id: str) -> dict:
    """A transfer between two locations' Square rooms (its two TRANSFER entries) as one Square
    TRANSFER change with the transfer's id."""
    return {"type": "TRANSFER", "transfer": {
        "id": out_entry.transfer_id, **_shown_common(out_entry, product_id), "state": IN_STOCK,
        "from_location_id": out_entry.location_id, "to_location_id": in_entry.location_id,
        "quantity": quantity_text(in_entry.quantity_change)}}


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
