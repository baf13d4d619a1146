"""Moving stock between rooms and locations: two TRANSFER entries that share a transfer id."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Mapping, NamedTuple

from ..domain.codes import ChangeSource, ReasonCode, Scope
from ..domain.commands import Transfer
from ..domain.errors import Conflict, InsufficientStock, InvalidInput
from ..domain.ledger import ChangeContext
from ..domain.models import InventoryItem
from ..domain.numbers import normalized
from .auth import Actor
from .dated_changes import DatedLedger, backdating_window_days
from .locations import require_location
from .ports import Services, Transaction
from .recording import active_item, record_change
from .results import Transferred
from .unit_of_work import Idempotency, Outcome, run_once


def transfer(services: Services, actor: Actor, command: Transfer,
             idempotency: Idempotency) -> Outcome[Transferred]:
    """Move a quantity out of one item into the same SKU elsewhere, creating it there if needed."""
    actor.require(Scope.INVENTORY_WRITE)
    actor.check_organization(command.organization_id)
    window = (backdating_window_days(services, actor.organization_id)
              if command.occurred_at is not None else None)

    def decide(tx: Transaction, now: datetime) -> Transferred:
        source = active_item(tx, actor.organization_id, command.from_item_id)
        ledger = DatedLedger(tx, window)
        context = ChangeContext(source=ChangeSource.TRANSFER, api_key_id=actor.api_key_id,
                                idempotency_key=idempotency.key)
        moved = move(services, tx, ledger, source, command, context, now)
        out_entry, in_entry = moved.result.entries
        record_change(services, tx, source, moved.result.source, out_entry, now, append=False)
        record_change(services, tx, moved.destination_before, moved.result.destination, in_entry,
                      now, append=False)
        ledger.write()
        return moved.result

    return run_once(services, actor, idempotency, decide)


class Move(NamedTuple):
    """A transfer decided in a transaction, not yet written, and its destination as it stood
    before (None: the move creates it)."""

    result: Transferred
    destination_before: InventoryItem | None


def move(services: Services, tx: Transaction, ledger: DatedLedger, source: InventoryItem,
         command: Transfer, context: ChangeContext, now: datetime, field_prefix: str = "",
         known: Mapping[str, InventoryItem | None] | None = None) -> Move:
    """Decide moving `command.quantity` out of `source` (as it stands in this transaction) into
    the same SKU at the destination, placing both entries in `ledger` under a new transfer id.
    `known` holds the items this transaction already changed or created, by id, so a move in a
    batch sees the lines before it."""
    org = source.organization_id
    known = known or {}
    if source.archived_at is not None:
        raise Conflict(f"item {source.id} is archived", field_prefix + "from_item_id", "item_archived")
    to_location = (source.location_id if command.to_location_id is None else
                   require_location(tx, org, command.to_location_id,
                                    field_prefix + "to_location_id").id)
    to_room = command.to_room_type or source.room_type
    if (to_location, to_room) == (source.location_id, source.room_type):
        raise InvalidInput("the destination is the item's own location and room",
                           field_prefix + "to_room_type", "same_place")
    destination = _destination(tx, known, org, to_location, to_room, source.sku)
    if command.quantity > source.available_quantity:
        raise InsufficientStock(
            f"only {normalized(source.available_quantity)} available to move",
            field_prefix + "quantity", "insufficient_available")
    transfer_id = services.new_id("trf")
    context = replace(context, source=ChangeSource.TRANSFER, transfer_id=transfer_id)
    before = destination
    if destination is None:  # it holds stock from the moment the stock moved
        destination = InventoryItem(
            id=services.new_id("itm"), organization_id=org, product_id=source.product_id,
            product_name=source.product_name, sku=source.sku, location_id=to_location,
            room_type=to_room, category=source.category, unit=source.unit,
            quantity=Decimal(0), unit_cost=source.unit_cost, unit_price=source.unit_price,
            attributes=dict(source.attributes), created_at=command.occurred_at or now,
            updated_at=now, version=0)
    moved_out = ledger.place(
        source, occurred_at=command.occurred_at, now=now, quantity_change=-command.quantity,
        reason=ReasonCode.TRANSFER, notes=command.notes, context=context,
        change_id=services.new_id("chg"), field_prefix=field_prefix)
    moved_in = ledger.place(
        destination, occurred_at=command.occurred_at, now=now,
        quantity_change=command.quantity, reason=ReasonCode.TRANSFER, notes=command.notes,
        context=context, change_id=services.new_id("chg"), field_prefix=field_prefix)
    return Move(Transferred(transfer_id, command.quantity, moved_out.item, moved_in.item,
                            (moved_out.entry, moved_in.entry)), before)


def _destination(tx: Transaction, known: Mapping[str, InventoryItem | None], org: str,
                 location_id: str, room, sku: str) -> InventoryItem | None:
    """The active item of `sku` at that place, as this transaction last left it."""
    for item in known.values():
        if (item is not None and item.archived_at is None and item.location_id == location_id
                and item.room_type == room and item.sku == sku):
            return item
    found = tx.find_active_item(org, location_id, room, sku)
    return None if found is None else (known.get(found.id) or found)
