"""Square's inventory calls, translated to the service's use cases and back."""
from __future__ import annotations

import hashlib
from typing import Any, Callable, Iterable

from pydantic import ValidationError

from ..domain import cursor, wire
from ..domain.commands import BulkLine, ListInventory, Transfer
from ..domain.errors import DomainError, FieldError, NotFound
from ..domain.models import InventoryItem, LedgerEntry
from ..domain.time import parse_instant
from ..http.call import Call
from ..service import batches, items, merged_ledger, recent_items
from ..service.batches import BatchLine
from ..service.locations import resolve_location
from ..service.ports import ItemFilter
from ..service.results import BulkApplied
from ..service.unit_of_work import Idempotency, Reply
from .mapping import NativeChange, refused, square_change, square_counts, square_transfer, to_native
from .places import Places
from .requests import BatchChange, BatchRetrieveChanges, BatchRetrieveCounts

COUNTS_CURSOR, COUNTS_REST_CURSOR = "sqcounts", "sqcounts-rest"
CHANGES_LIMIT = 100  # Square's default page of changes
DEFAULT_LIMIT = 1000  # Square's default page size for counts
STATES = {"IN_STOCK", "RESERVED_FOR_SALE"}  # the counts this ledger holds


def batch_change(call: Call) -> dict:
    """Apply Square changes atomically as one batch of the ledger; answer `{counts, changes}`."""
    request = call.body(BatchChange)
    natives = [to_native(change, index) for index, change in enumerate(request.changes)]
    places = _places(call)
    resolved: dict[tuple[str, str], list[InventoryItem]] = {}
    lines = [_batch_line(call, native, index, resolved) for index, native in enumerate(natives)]
    digest = hashlib.sha256(f"square batch-change\n{wire.canonical(call.json)}".encode())
    idempotency = Idempotency(request.idempotency_key, digest.hexdigest(),
                              lambda applied: _batch_reply(applied, places))
    try:
        outcome = batches.apply_batch(call.services, call.actor, lines, idempotency,
                                      skip_unchanged_counts=request.ignore_unchanged_counts is not False)
    except DomainError as refusal:  # our fields name `updates[i].…`; Square's caller sent `changes[i].…`
        refusal.fields = [FieldError(_square_field(f.field, natives), f.code, f.message)
                          for f in refusal.fields]
        raise
    return outcome.reply.body  # as first sent, on a retry with the same idempotency_key


# Our field of a batch line -> the field of Square's change object that carries it.
SQUARE_FIELDS = {"quantity_change": "quantity", "quantity": "quantity", "id": "catalog_object_id",
                 "from_item_id": "catalog_object_id", "to_room_type": "to_location_id",
                 "reason_code": "to_state"}


def _square_field(field: str, natives: list[NativeChange]) -> str:
    """`updates[3].quantity_change` as the Square field it came from: `changes[3].adjustment.quantity`."""
    if not field.startswith("updates["):
        return field
    index, _, name = field.removeprefix("updates[").partition("].")
    kind = natives[int(index)].kind
    return f"changes[{index}].{kind}.{SQUARE_FIELDS.get(name, name)}"


def _batch_line(call: Call, native: NativeChange, index: int,
                resolved: dict[tuple[str, str], list[InventoryItem]]) -> BatchLine:
    item_id = _item_id(call, native, index, resolved)
    field = f"changes[{index}].{native.kind}"
    try:
        if native.to_location_id is not None:
            to = resolve_location(call.services.store, call.actor.organization_id, native.to_location_id)
            if to is None:
                raise NotFound(f"no location {native.to_location_id}", f"{field}.to_location_id", "NOT_FOUND")
            if to.id == resolved[(native.catalog_object_id, native.location_id)][0].location_id:
                raise refused(f"{field}.to_location_id", "INVALID_VALUE",
                              "a transfer goes to another location than the one it leaves")
            change = Transfer(from_item_id=item_id, to_location_id=to.id,
                              to_room_type=to.square_room_type, quantity=native.quantity_change,
                              occurred_at=native.occurred_at)
        elif native.counted is not None:
            change = BulkLine(id=item_id, quantity=native.counted, reason_code=native.reason,
                              occurred_at=native.occurred_at)
        else:
            change = BulkLine(id=item_id, quantity_change=native.quantity_change,
                              reason_code=native.reason, occurred_at=native.occurred_at)
    except ValidationError as error:  # beyond our places or range
        problem = error.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise refused(f"{field}.quantity", "INVALID_VALUE", problem) from None
    return BatchLine(change, native.client)


def _batch_reply(applied: BulkApplied, places: Places) -> Reply:
    """Square's answer to a batch: the touched counts and the changes, kept for a retry."""
    touched = {item.id: item for item in applied.items}
    legs: dict[str, list[LedgerEntry]] = {}
    for entry in applied.entries:
        if entry.transfer_id is not None:
            legs.setdefault(entry.transfer_id, []).append(entry)
    changes = []
    for entry in applied.entries:
        item = touched[entry.item_id]
        if entry.transfer_id is None:
            changes.append(square_change(entry, item))
        elif entry is legs[entry.transfer_id][0]:  # one TRANSFER change for its two entries
            changes.append(square_transfer(*legs[entry.transfer_id], item.product_id))
    return Reply(200, places.with_codes({
        "counts": [count for item in applied.items for count in square_counts(item)],
        "changes": changes}))


def _places(call: Call) -> Places:
    """The organization's locations as Square sees them (read once per request)."""
    return Places(list(call.services.store.list_locations(call.actor.organization_id)))


def batch_retrieve_counts(call: Call) -> dict:
    """Counts of the asked catalog objects at the asked locations, newest `calculated_at` first."""
    request = call.body(BatchRetrieveCounts)
    after = _instant(request.updated_after, "updated_after")
    return _counts_page(call, request.catalog_object_ids, request.location_ids, after,
                        request.states, request.cursor, request.limit or DEFAULT_LIMIT)


def object_counts(call: Call) -> dict:
    """GET /v2/inventory/{catalog_object_id}?location_ids=a,b&cursor=."""
    args = call.request.args
    locations = [loc for loc in (args.get("location_ids") or "").split(",") if loc] or None
    return _counts_page(call, [call.path["catalog_object_id"]], locations, None, None,
                        args.get("cursor"), DEFAULT_LIMIT)


def batch_retrieve_changes(call: Call) -> dict:
    """Changes of the asked catalog objects at the asked locations, filtered, oldest first.
    `updated_after`/`updated_before` compare when a change was recorded (its `created_at`), so a
    client that polls sees a change dated earlier than its last poll."""
    request = call.body(BatchRetrieveChanges)
    after = _instant(request.updated_after, "updated_after")
    before = _instant(request.updated_before, "updated_before")

    def wanted(entry: LedgerEntry, change: dict) -> bool:
        return ((after is None or entry.recorded_at > after)
                and (before is None or entry.recorded_at <= before)
                and (request.types is None or change["type"] in request.types)
                and (request.states is None or bool(_states_of(change) & set(request.states))))

    return _changes_page(call, request.catalog_object_ids, request.location_ids, request.cursor,
                         request.limit or CHANGES_LIMIT, False, wanted)


def object_changes(call: Call) -> dict:
    """GET /v2/inventory/{catalog_object_id}/changes?location_ids=a,b&cursor=: newest first."""
    args = call.request.args
    locations = [loc for loc in (args.get("location_ids") or "").split(",") if loc] or None
    return _changes_page(call, [call.path["catalog_object_id"]], locations, args.get("cursor"),
                         CHANGES_LIMIT, True, lambda entry, change: True)


def _changes_page(call: Call, catalog_object_ids: list[str] | None, location_ids: list[str] | None,
                  after: str | None, limit: int, newest_first: bool,
                  wanted: Callable[[LedgerEntry, dict], bool]) -> dict:
    """A page of the changes of the items Square sees of these products, by (occurred_at, id),
    read from the store a page at a time from Square's opaque `cursor` (a keyset cursor). A
    transfer between two listed items is one change: its entry out of the source."""
    places = _places(call)
    found = {item.id: item for item in _items(call, places, catalog_object_ids, location_ids, None)}
    shown: dict[str, dict] = {}

    def change_of(entry: LedgerEntry) -> dict:
        if entry.id not in shown:
            shown[entry.id] = _shown(call, places, entry, found[entry.item_id])
        return shown[entry.id]

    def keep(entry: LedgerEntry) -> bool:
        change = change_of(entry)
        other_leg_listed = (change["type"] == "TRANSFER" and entry.quantity_change > 0
                            and _source_item_of(call, change) in found)
        return not other_leg_listed and wanted(entry, change)

    page = merged_ledger.page(call.services, call.actor, list(found), after, limit, newest_first,
                              keep=keep)
    body: dict[str, Any] = {"changes": [change_of(entry) for entry in page.items]}
    if page.next_cursor is not None:
        body["cursor"] = page.next_cursor
    return places.with_codes(body)


def _source_item_of(call: Call, change: dict) -> str | None:
    """The item a transfer change left (its entry out, the first of the transfer's)."""
    legs = call.services.store.transfer_entries(call.actor.organization_id, change["transfer"]["id"])
    return legs[0].item_id if legs else None


def retrieve_adjustment(call: Call) -> dict:
    """GET /v2/inventory/adjustments/{id}: a ledger entry other than a count, by its id."""
    places = _places(call)
    change = _change_by_id(call, places, call.path["adjustment_id"], "ADJUSTMENT")
    return places.with_codes({"adjustment": change["adjustment"]})


def retrieve_physical_count(call: Call) -> dict:
    """GET /v2/inventory/physical-counts/{id}: a count (AUDIT entry), by its id."""
    places = _places(call)
    change = _change_by_id(call, places, call.path["physical_count_id"], "PHYSICAL_COUNT")
    return places.with_codes({"count": change["physical_count"]})


def retrieve_transfer(call: Call) -> dict:
    """GET /v2/inventory/transfers/{id}: a transfer between two locations' Square rooms."""
    places = _places(call)
    transfer_id = call.path["transfer_id"]
    legs = call.services.store.transfer_entries(call.actor.organization_id, transfer_id)
    item = call.services.store.get_item(call.actor.organization_id, legs[0].item_id) if legs else None
    change = _shown(call, places, legs[0], item) if item is not None and places.shows(item) else None
    if change is None or change["type"] != "TRANSFER":
        raise NotFound(f"no transfer {transfer_id} between two locations", "id", "NOT_FOUND")
    return places.with_codes({"transfer": change["transfer"]})


def _change_by_id(call: Call, places: Places, entry_id: str, kind: str) -> dict:
    organization = call.actor.organization_id
    entry = call.services.store.get_ledger_entry(organization, entry_id)
    item = call.services.store.get_item(organization, entry.item_id) if entry else None
    change = _shown(call, places, entry, item) if entry and item and places.shows(item) else None
    if change is None or change["type"] != kind:
        raise NotFound(f"no {kind.lower().replace('_', ' ')} {entry_id}", "id", "NOT_FOUND")
    return change


def _shown(call: Call, places: Places, entry: LedgerEntry, item: InventoryItem) -> dict:
    """A ledger entry of an item Square sees, as Square's change: a TRANSFER entry whose other
    leg is in another location's Square room is their transfer; any other, its own change."""
    if entry.transfer_id is not None:
        legs = call.services.store.transfer_entries(call.actor.organization_id, entry.transfer_id)
        if len(legs) == 2 and legs[0].location_id != legs[1].location_id:
            other = legs[1] if legs[0].id == entry.id else legs[0]
            other_item = call.services.store.get_item(call.actor.organization_id, other.item_id)
            if other_item is not None and places.shows(other_item):
                return square_transfer(*legs, item.product_id)
    return square_change(entry, item)


def _states_of(change: dict) -> set[str]:
    if change["type"] == "PHYSICAL_COUNT":
        return {change["physical_count"]["state"]}
    if change["type"] == "TRANSFER":
        return {change["transfer"]["state"]}
    return {change["adjustment"]["from_state"], change["adjustment"]["to_state"]}


def _counts_page(call: Call, catalog_object_ids: list[str] | None, location_ids: list[str] | None,
                 updated_after, states: list[str] | None, after: str | None, limit: int) -> dict:
    """A page of counts, newest `calculated_at` first: the items read from the store a batch at a
    time from Square's opaque `cursor`, a keyset cursor at the last count's item (of kind
    COUNTS_REST_CURSOR when that item's RESERVED_FOR_SALE count is still to come)."""
    wanted = STATES if states is None else STATES & set(states)
    start, rest_of_item = None, False
    if after:
        try:
            start = cursor.read_moment(after, COUNTS_CURSOR)
        except DomainError:
            start, rest_of_item = cursor.read_moment(after, COUNTS_REST_CURSOR), True
    places = _places(call)
    filters = [f for product_id in catalog_object_ids or [None]
               for location_id in location_ids or list(places.rooms)  # each in its Square room
               if (f := _filter(call, places, product_id, location_id, updated_after)) is not None]

    def counts() -> Iterable[tuple[InventoryItem, dict]]:
        if rest_of_item:  # the cursor's item, unless it changed since (it is then ahead of it)
            item = call.services.store.get_item(call.actor.organization_id, start[1])
            if item is not None and item.archived_at is None and recent_items.key_of(item) == start:
                yield from ((item, count) for count in square_counts(item)[1:])
        for item in recent_items.newest_first(call.services, call.actor, filters, start, limit + 1):
            yield from ((item, count) for count in square_counts(item))

    body: dict[str, Any] = {"counts": []}
    last: InventoryItem | None = None
    for item, count in counts():
        if count["state"] not in wanted:
            continue
        if last is not None and len(body["counts"]) == limit:
            kind = COUNTS_REST_CURSOR if item is last else COUNTS_CURSOR
            body["cursor"] = cursor.write_moment(kind, *recent_items.key_of(last))
            break
        body["counts"].append(count)
        last = item
    return places.with_codes(body)


def _filter(call: Call, places: Places, product_id: str | None, location_id: str,
            updated_after) -> ItemFilter | None:
    """The items of a product in a location's (by id or code) Square room; None when no
    location has that id or code."""
    if location_id not in places.rooms:
        location = resolve_location(call.services.store, call.actor.organization_id, location_id)
        if location is None:
            return None
        location_id = location.id
    return ItemFilter(location_id=location_id, room_type=places.room(location_id),
                      product_id=product_id, updated_after=updated_after)


def _items(call: Call, places: Places, catalog_object_ids: list[str] | None,
           location_ids: list[str] | None, updated_after) -> Iterable[InventoryItem]:
    """The items Square sees of these products at these locations (None: every one)."""
    for product_id in catalog_object_ids or [None]:
        for location_id in location_ids or [None]:
            page_cursor = None
            while True:
                query = _query(call, product_id, location_id, updated_after=updated_after, limit=200,
                               cursor=page_cursor)
                if query is None:
                    break
                page = items.list_items(call.services, call.actor, query)
                yield from (item for item in page.items if places.shows(item))
                if page.next_cursor is None:
                    break
                page_cursor = page.next_cursor


def _query(call: Call, product_id: str | None, location_id: str | None,
           **rest) -> ListInventory | None:
    """The native list query for a product at a location (by id or code) in its Square room (at
    every location: in any room, for the caller to keep those Square sees); None when no
    location has that id or code, or an id has a shape no product can have."""
    room = None
    if location_id is not None:
        location = resolve_location(call.services.store, call.actor.organization_id, location_id)
        if location is None:
            return None
        location_id, room = location.id, location.square_room_type
    try:
        return ListInventory(product_id=product_id, location_id=location_id, room_type=room, **rest)
    except ValidationError:
        return None


def _item_id(call: Call, native: NativeChange, index: int,
             resolved: dict[tuple[str, str], list[InventoryItem]]) -> str:
    """The item a change is about, in its location's Square room (`resolved` remembers each
    product and location of the batch, read once)."""
    key = (native.catalog_object_id, native.location_id)
    if key not in resolved:
        query = _query(call, *key, limit=2)
        resolved[key] = items.list_items(call.services, call.actor, query).items if query else []
    found = resolved[key]
    field = f"changes[{index}].{native.kind}.catalog_object_id"
    if len(found) > 1:
        raise refused(field, "CONFLICT",
                      f"{native.catalog_object_id} has more than one SKU in that location's Square room")
    if not found:
        raise NotFound(f"no stock of {native.catalog_object_id} in location {native.location_id}'s "
                       "Square room; create it with POST /api/v1/inventory first", field, "NOT_FOUND")
    return found[0].id


def _instant(text: str | None, field: str):
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError:
        raise refused(field, "INVALID_TIME", f"{field} must be an RFC 3339 time with an offset") from None
