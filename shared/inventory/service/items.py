"""Inventory use cases: read, create, adjust with reason codes, count, bulk adjust, archive, history."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Callable

from ..domain.attributes import edit_attributes, new_item
from ..domain.freeform_attributes import merge_attributes
from ..domain.codes import ChangeSource, ReasonCode, Scope
from ..domain.commands import BulkUpdate, CreateItem, ListChanges, ListInventory, UpdateItem
from ..domain.errors import Conflict, NotFound, VersionMismatch
from ..domain.ledger import ChangeContext, check_occurred_at, open_item
from ..domain.models import InventoryItem, LedgerEntry
from ..domain.numbers import normalized
from .auth import Actor
from .batches import BatchLine, batch_change
from .dated_changes import DatedLedger, backdating_window_days
from .locations import require_location, resolve_location
from .ports import ItemFilter, Page, Services, Slice, Transaction
from .recording import active_item, record_change
from .results import BulkApplied, ItemArchived, ItemChanged, ItemCreated
from .unit_of_work import Idempotency, Outcome, run_once


def get_item(services: Services, actor: Actor, item_id: str) -> InventoryItem:
    actor.require(Scope.INVENTORY_READ)
    item = services.store.get_item(actor.organization_id, item_id)
    if item is None:
        raise NotFound(f"no inventory item {item_id}", "id", "item_not_found")
    return item


def list_items(services: Services, actor: Actor, query: ListInventory) -> Page[InventoryItem]:
    """Active items of the caller's organization, filtered, oldest first (ids sort by creation:
    a stable order), by page number or after a cursor."""
    actor.require(Scope.INVENTORY_READ)
    actor.check_organization(query.organization_id)
    item_filter = ItemFilter(location_id=query.location_id, room_type=query.room_type,
                             category=query.category, low_stock=query.low_stock,
                             updated_after=query.updated_after, sku=query.sku,
                             product_id=query.product_id)
    found = services.store.list_items(actor.organization_id, item_filter, query.page, query.limit,
                                      cursor=query.cursor)
    if query.location_id is not None and found.total == 0:
        # Nothing at a location with that id: it may be a code. Looked up only then, so a
        # filter by id costs no read of the location (an id still wins over a code).
        location = resolve_location(services.store, actor.organization_id, query.location_id)
        if location is not None and location.id != query.location_id:
            item_filter = replace(item_filter, location_id=location.id)
            found = services.store.list_items(actor.organization_id, item_filter, query.page,
                                              query.limit, cursor=query.cursor)
    return found


def list_changes(services: Services, actor: Actor, item_id: str,
                 query: ListChanges) -> Slice[LedgerEntry]:
    """An item's ledger in effective order, latest first."""
    get_item(services, actor, item_id)
    actor.check_organization(query.organization_id)
    return services.store.list_changes(actor.organization_id, item_id, query.cursor, query.limit)


def create_item(services: Services, actor: Actor, command: CreateItem, idempotency: Idempotency,
                opening: ReasonCode = ReasonCode.ADJUSTMENT) -> Outcome[ItemCreated]:
    """Create an item at a location and room; an opening quantity is its first ledger entry,
    an adjustment, or with `opening` AUDIT a physical count (a dialect whose quantities are
    counts), at `occurred_at` when the command dates it (the item exists from then)."""
    actor.require(Scope.INVENTORY_WRITE)
    actor.check_organization(command.organization_id)
    window = (backdating_window_days(services, actor.organization_id)
              if command.occurred_at is not None else None)

    def decide(tx: Transaction, now: datetime) -> ItemCreated:
        org = actor.organization_id
        if command.occurred_at is not None:
            check_occurred_at(command.occurred_at, now, window)
        location = require_location(tx, org, command.location_id)
        if tx.find_active_item(org, location.id, command.room_type, command.sku):
            raise Conflict(f"sku {command.sku} already has an item in that location and room",
                           "sku", "duplicate_item")
        empty = new_item(command, item_id=services.new_id("itm"), organization_id=org,
                         location_id=location.id, now=now)
        item, entry = open_item(
            empty, quantity=command.quantity, reason=opening,
            notes=command.notes or "opening quantity",
            context=_context(actor, idempotency, ChangeSource.CREATE),
            change_id=services.new_id("chg"), now=now, occurred_at=command.occurred_at)
        if entry is not None and opening is ReasonCode.AUDIT:  # a count keeps what it found
            entry = entry.model_copy(update={"counted_quantity": entry.quantity_after})
        record_change(services, tx, None, item, entry, now)
        return ItemCreated(item, entry)

    return run_once(services, actor, idempotency, decide)


def update_item(services: Services, actor: Actor, item_id: str, command: UpdateItem,
                if_match: int | None, idempotency: Idempotency) -> Outcome[ItemChanged]:
    """A change with a reason code, a physical count, and/or attribute edits; `if_match` (the
    version the caller saw) makes it a compare-and-set."""
    actor.require(Scope.INVENTORY_WRITE)
    actor.check_organization(command.organization_id)
    window = (backdating_window_days(services, actor.organization_id)
              if command.occurred_at is not None else None)

    def decide(tx: Transaction, now: datetime) -> ItemChanged:
        before = active_item(tx, actor.organization_id, item_id)
        if if_match is not None and if_match != before.version:
            raise VersionMismatch(f"item is at version {before.version}, not {if_match}",
                                  "If-Match")
        item, entry = before, None
        ledger = DatedLedger(tx, window)
        if command.changes_quantity:
            placed = ledger.place(
                before, occurred_at=command.occurred_at, now=now,
                quantity_change=command.quantity_change, counted=command.quantity,
                reason=command.reason, notes=command.notes,
                context=_context(actor, idempotency, ChangeSource.API),
                change_id=services.new_id("chg"))
            item, entry = placed.item, placed.entry
        attributes = command.attribute_changes()
        if "attributes" in command.model_fields_set:  # merged into the item's, not replacing them
            attributes["attributes"] = merge_attributes(item.attributes, command.attributes)
        if attributes:
            item = edit_attributes(item, attributes, now, bump=entry is None)
        record_change(services, tx, before, item, entry, now, append=False)
        ledger.write()
        return ItemChanged(item, entry)

    return run_once(services, actor, idempotency, decide)


def bulk_update(services: Services, actor: Actor, command: BulkUpdate,
                idempotency: Idempotency) -> Outcome[BulkApplied]:
    """Apply up to 500 changes atomically: every one is checked, and one refusal refuses all."""
    return run_once(services, actor, idempotency, bulk_change(services, actor, command, idempotency))


def bulk_change(services: Services, actor: Actor, command: BulkUpdate,
                idempotency: Idempotency) -> Callable[[Transaction, datetime], BulkApplied]:
    """The decision of a bulk update, for a use case that makes it with other writes in one
    unit of work (the caller's rights are checked now, the changes in its transaction)."""
    actor.check_organization(command.organization_id)
    return batch_change(services, actor, [BatchLine(line) for line in command.updates], idempotency)


def archive_item(services: Services, actor: Actor, item_id: str,
                 idempotency: Idempotency) -> Outcome[ItemArchived]:
    """Retire an empty item: it leaves lists and keeps its ledger."""
    actor.require(Scope.INVENTORY_WRITE)

    def decide(tx: Transaction, now: datetime) -> ItemArchived:
        before = active_item(tx, actor.organization_id, item_id)
        if before.quantity != 0 or before.reserved_quantity != 0:
            raise Conflict(f"item still holds {normalized(before.quantity)}; record its removal "
                           "with a reason code before archiving", "quantity", "item_has_stock")
        item = before.model_copy(update={"archived_at": now, "updated_at": now,
                                         "version": before.version + 1})
        record_change(services, tx, before, item, None, now)
        return ItemArchived(item)

    return run_once(services, actor, idempotency, decide)


def _context(actor: Actor, idempotency: Idempotency, source: ChangeSource, **extra) -> ChangeContext:
    return ChangeContext(source=source, api_key_id=actor.api_key_id,
                         idempotency_key=idempotency.key, **extra)
