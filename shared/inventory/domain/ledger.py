"""Deciding a quantity change: the rules every adjustment, count, transfer and sync obeys."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Callable, Sequence

from .codes import REQUIRED_SIGN, ChangeSource, ReasonCode, RoomType, Unit
from .errors import BackdatedConflict, Conflict, InsufficientStock, InvalidInput
from .models import InventoryItem, LedgerEntry
from .numbers import QUANTITY_LIMIT, normalized
from .time import format_instant


@dataclass(frozen=True)
class ClientReference:
    """The client's own names for a change, kept on its entry as sent: its reference (an order,
    a receipt), the team member who made it, and the application it came from (Square's
    `reference_id`, `team_member_id` and `source`)."""

    reference_id: str | None = None
    team_member_id: str | None = None
    source_application: dict[str, str] | None = None


@dataclass(frozen=True)
class ChangeContext:
    """Who made a change and under which request, recorded on every ledger entry."""

    source: ChangeSource
    api_key_id: str | None = None
    idempotency_key: str | None = None
    transfer_id: str | None = None
    sync_id: str | None = None
    client: ClientReference = ClientReference()


@dataclass(frozen=True)
class Placement:
    """A change put in its place in the item's ledger: the item after it, its entry, and the
    later entries whose running quantities (or, for a count, change) it re-derived, each
    stamped `revised_at` (the change's recorded_at) and `revised_by` (its id)."""

    item: InventoryItem
    entry: LedgerEntry
    rederived: tuple[LedgerEntry, ...] = ()


def check_occurred_at(occurred_at: datetime, now: datetime, window_days: int,
                      field: str = "occurred_at") -> datetime:
    """When a change happened: not after `now`, and not more than the organization's backdating
    window before it (422 naming the field)."""
    if occurred_at > now:
        raise InvalidInput("occurred_at cannot be in the future", field, "occurred_at_in_future")
    if occurred_at < now - timedelta(days=window_days):
        raise InvalidInput(f"occurred_at is older than the organization's backdating window of "
                           f"{window_days} days", field, "occurred_at_outside_window")
    return occurred_at


def pos_count_instant(item: InventoryItem, updated_at: datetime | None, now: datetime,
                      window_days: Callable[[], int], agrees: bool) -> datetime | None:
    """When a POS row's count happened: its `updated_at` when that falls after the item was
    created and not in the future; otherwise (None) now, as a POS's clock may run a little ahead
    or know the product before we did. A count dated before the backdating window cannot be put
    in its place, and counting it now would undo the changes recorded since: it is refused
    (InvalidInput on updated_at) unless it `agrees` with the item's quantity (None: nothing to
    change). `window_days` reads the organization's window, only for a count that may need it."""
    if updated_at is None or updated_at >= now or (agrees and updated_at < item.created_at):
        return None
    window = window_days()
    if updated_at < now - timedelta(days=window):
        if agrees:
            return None
        raise InvalidInput(f"updated_at is older than the organization's backdating window of "
                           f"{window} days: the count cannot be put in its place, and is not "
                           f"counted now", "updated_at", "occurred_at_outside_window")
    return updated_at if item.created_at <= updated_at else None


def has_later_entries(item: InventoryItem, occurred_at: datetime) -> bool:
    """Whether entries may follow a change at `occurred_at` in effective order. An entry never
    happens after it is recorded, and the item is updated whenever one is, so none can follow
    an instant at or after the item's `updated_at`: an ordinary change reads no history."""
    return occurred_at < item.updated_at


def place_change(item: InventoryItem, *, quantity_change: Decimal | None = None,
                 counted: Decimal | None = None, reason: ReasonCode, notes: str | None,
                 context: ChangeContext, change_id: str, now: datetime,
                 occurred_at: datetime | None = None, later: Sequence[LedgerEntry] = (),
                 field_prefix: str = "") -> Placement:
    """Check one change (a `quantity_change`, or a physical count of `counted`) dated
    `occurred_at` (default `now`) against the item and its `later` entries (those after
    `occurred_at` in effective order, in that order), and return where it leaves them.

    The change applies to the quantity at `occurred_at`: the first later entry's
    `quantity_before`, or the item's quantity when none follows. The later entries are replayed
    on top (a count sets the quantity it found); one left negative refuses the whole change
    with BackdatedConflict naming it."""
    occurred_at = now if occurred_at is None else occurred_at
    quantity_then = later[0].quantity_before if later else item.quantity
    if counted is not None:
        quantity_change = count_difference(item, counted, field_prefix, quantity_then)
    assert quantity_change is not None
    field = field_prefix + "quantity_change"
    _check_change(item, quantity_change, reason, field_prefix)
    after_then = quantity_then + quantity_change
    if after_then < 0:
        raise InsufficientStock(
            f"only {normalized(quantity_then)} on hand then; the change would leave "
            f"{normalized(after_then)}", field, "negative_stock")
    current, rederived = _replay(later, after_then, field_prefix + "occurred_at",
                                 {"revised_at": now, "revised_by": change_id})
    if reason is ReasonCode.SALE and current < item.reserved_quantity:
        raise InsufficientStock(
            f"only {normalized(item.available_quantity)} available to sell", field,
            "insufficient_available")
    if max([after_then, current, *(e.quantity_after for e in rederived)]) >= QUANTITY_LIMIT:
        raise InvalidInput(f"quantity must stay below {QUANTITY_LIMIT}", field, "quantity_out_of_range")
    changed = item.model_copy(update={"quantity": normalized(current), "updated_at": now,
                                      "version": item.version + 1})
    entry = LedgerEntry(
        id=change_id, organization_id=item.organization_id, item_id=item.id,
        location_id=item.location_id, quantity_change=quantity_change,
        quantity_before=quantity_then, quantity_after=normalized(after_then), reason_code=reason,
        notes=notes, source=context.source, api_key_id=context.api_key_id,
        idempotency_key=context.idempotency_key, transfer_id=context.transfer_id,
        sync_id=context.sync_id, item_version=changed.version, occurred_at=occurred_at,
        recorded_at=now, counted_quantity=counted, reference_id=context.client.reference_id,
        team_member_id=context.client.team_member_id,
        source_application=context.client.source_application)
    return Placement(changed, entry, tuple(rederived))


def _check_change(item: InventoryItem, quantity_change: Decimal, reason: ReasonCode,
                  field_prefix: str) -> None:
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


def _replay(later: Sequence[LedgerEntry], start: Decimal, field: str,
            revision: dict[str, object]) -> tuple[Decimal, list[LedgerEntry]]:
    """The running quantity after replaying `later` from `start`, and the entries it changed,
    each stamped with the `revision` that changed it."""
    running, changed = start, []
    for entry in later:
        if entry.counted_quantity is not None:
            update = {"quantity_before": running, "quantity_after": entry.counted_quantity,
                      "quantity_change": normalized(entry.counted_quantity - running)}
        else:
            after = running + entry.quantity_change
            if after < 0:
                raise BackdatedConflict(
                    f"the change would leave {normalized(after)} after entry {entry.id} "
                    f"({entry.reason_code.value} at {format_instant(entry.occurred_at)})",
                    entry_id=entry.id, field=field)
            update = {"quantity_before": running, "quantity_after": normalized(after)}
        if any(getattr(entry, name) != value for name, value in update.items()):
            entry = entry.model_copy(update={**update, **revision})
            changed.append(entry)
        running = entry.quantity_after
    return running, changed


def open_item(item: InventoryItem, *, quantity: Decimal, reason: ReasonCode, notes: str | None,
              context: ChangeContext, change_id: str, now: datetime,
              occurred_at: datetime | None = None) -> tuple[InventoryItem, LedgerEntry | None]:
    """A new item (at version 1, holding nothing) with its opening quantity: the opening is its
    first ledger entry, and an opening of zero writes none (no entry records a change of 0).
    A backdated opening (`occurred_at`, already checked) is put at that instant, and the item
    exists from then."""
    if quantity == 0:
        return item, None
    if occurred_at is not None:
        item = item.model_copy(update={"created_at": occurred_at})
    placed = place_change(item, quantity_change=quantity, reason=reason, notes=notes,
                          context=context, change_id=change_id, now=now, occurred_at=occurred_at)
    opened, entry = placed.item, placed.entry
    # The opening and the creation are one version.
    return (opened.model_copy(update={"version": item.version}),
            entry.model_copy(update={"item_version": item.version}))


def count_difference(item: InventoryItem, counted: Decimal, field_prefix: str = "",
                     quantity_then: Decimal | None = None) -> Decimal:
    """A physical count becomes the AUDIT change that brings the item to the counted quantity
    (from its quantity at the count's instant, `quantity_then`, if not its current one)."""
    if counted < 0:
        raise InvalidInput("a counted quantity cannot be negative", field_prefix + "quantity",
                           "negative_count")
    if item.unit is Unit.EACH and counted != counted.to_integral_value():
        raise InvalidInput("items counted in units are counted in whole numbers",
                           field_prefix + "quantity", "fractional_quantity_for_unit")
    return counted - (item.quantity if quantity_then is None else quantity_then)
