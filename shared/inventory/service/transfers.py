"""Moving stock between rooms and locations: two TRANSFER entries that share a transfer id."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..domain.codes import ChangeSource, ReasonCode, Scope
from ..domain.commands import Transfer
from ..domain.errors import InsufficientStock, InvalidInput
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
        org = actor.organization_id
        source = active_item(tx, actor.organization_id, command.from_item_id)
        to_location = (source.location_id if command.to_location_id is None else
                       require_location(tx, org, command.to_location_id, "to_location_id").id)
        to_room = command.to_room_type or source.room_type
        if (to_location, to_room) == (source.location_id, source.room_type):
            raise InvalidInput("the destination is the item's own location and room",
                               "to_room_type", "same_place")
        destination = tx.find_active_item(org, to_location, to_room, source.sku)
        if command.quantity > source.available_quantity:
            raise InsufficientStock(
                f"only {normalized(source.available_quantity)} available to move", "quantity",
                "insufficient_available")
        transfer_id = services.new_id("trf")
        context = ChangeContext(source=ChangeSource.TRANSFER, api_key_id=actor.api_key_id,
                                idempotency_key=idempotency.key, transfer_id=transfer_id)
        created = destination is None
        if destination is None:  # it holds stock from the moment the stock moved
            destination = InventoryItem(
                id=services.new_id("itm"), organization_id=org, product_id=source.product_id,
                product_name=source.product_name, sku=source.sku, location_id=to_location,
                room_type=to_room, category=source.category, unit=source.unit,
                quantity=Decimal(0), unit_cost=source.unit_cost, unit_price=source.unit_price,
                attributes=dict(source.attributes), created_at=command.occurred_at or now,
                updated_at=now, version=0)
        ledger = DatedLedger(tx, window)
        moved_out = ledger.place(
            source, occurred_at=command.occurred_at, now=now, quantity_change=-command.quantity,
            reason=ReasonCode.TRANSFER, notes=command.notes, context=context,
            change_id=services.new_id("chg"))
        moved_in = ledger.place(
            destination, occurred_at=command.occurred_at, now=now,
            quantity_change=command.quantity, reason=ReasonCode.TRANSFER, notes=command.notes,
            context=context, change_id=services.new_id("chg"))
        (source_after, out_entry), (destination_after, in_entry) = (
            (moved_out.item, moved_out.entry), (moved_in.item, moved_in.entry))
        record_change(services, tx, source, source_after, out_entry, now, append=False)
        record_change(services, tx, None if created else destination, destination_after, in_entry,
                      now, append=False)
        ledger.write()
        return Transferred(transfer_id, command.quantity, source_after, destination_after,
                           (out_entry, in_entry))

    return run_once(services, actor, idempotency, decide)
