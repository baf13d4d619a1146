"""Square's inventory calls, translated to the service's use cases and back."""
from __future__ import annotations

import hashlib
from typing import Any, Callable, Iterable

from pydantic import ValidationError

from ..domain import cursor, wire
from ..domain.commands import BulkLine, BulkUpdate, ListInventory
from ..domain.errors import DomainError, FieldError, NotFound
from ..domain.models import InventoryItem
from ..domain.time import parse_instant
from ..http.call import Call
from ..service import items, merged_ledger, recent_items
from ..service.locations import resolve_location
from ..service.ports import ItemFilter
from ..service.results import BulkApplied
from ..service.unit_of_work import Idempotency, Reply
from .mapping import ROOM, NativeChange, refused, square_change, square_counts, to_native
from .requests import BatchChange, BatchRetrieveChanges, BatchRetrieveCounts

COUNTS_CURSOR, COUNTS_REST_CURSOR = "sqcounts", "sqcounts-rest"
CHANGES_LIMIT = 100  # Square's default page of changes
DEFAULT_LIMIT = 1000  # Square's default page size for counts
STATES = {"IN_STOCK", "RESERVED_FOR_SALE"}  # the counts this ledger holds


def batch_change(call: Call) -> dict:
    """Apply Square changes atomically through the bulk update; answer `{counts, changes}`."""
    request = call.body(BatchChange)
    now = call.services.clock.now()
    natives = [to_native(change, index, now) for index, change in enumerate(request.changes)]
    resolved: dict[tuple[str, str], list[InventoryItem]] = {}
    lines = [_bulk_line(_item_id(call, native, index, resolved), native, index)
             for index, native in enumerate(natives)]
    digest = hashlib.sha256(f"square batch-change\n{wire.canonical(call.json)}".encode())
    codes = _location_codes(call)
    idempotency = Idempotency(request.idempotency_key, digest.hexdigest(),
                              lambda applied: _batch_reply(applied, codes))
    try:
        outcome = items.bulk_update(call.services, call.actor, BulkUpdate(updates=lines), idempotency)
    except DomainError as refusal:  # our fields name `updates[i]`; Square's caller sent `changes[i]`
        refusal.fields = [FieldError(f.field.replace("updates[", "changes[", 1), f.code, f.message)
                          for f in refusal.fields]
        raise
    return outcome.reply.body  # as first sent, on a retry with the same idempotency_key


def _batch_reply(applied: BulkApplied, codes: dict[str, str]) -> Reply:
    """Square's answer to a batch: the touched counts and the changes, kept for a retry."""
    touched = {item.id: item for item in applied.items}
    return Reply(200, _with_codes(codes, {
        "counts": [count for item in applied.items for count in square_counts(item)],
        "changes": [square_change(entry, touched[entry.item_id]) for entry in applied.entries]}))


def _location_codes(call: Call) -> dict[str, str]:
    """Location id -> the code its client gave it, which Square's objects show as its id."""
    return {location.id: location.code
            for location in call.services.store.list_locations(call.actor.organization_id)
            if location.code}


def _with_codes(codes: dict[str, str], body: dict) -> dict:
    """Square's body with each location named by its code, where it has one."""
    for record in body.get("counts", []) + body.get("changes", []):
        for shown in (record, record.get("adjustment") or {}, record.get("physical_count") or {}):
            for field in ("location_id", "from_location_id", "to_location_id"):
                if shown.get(field) in codes:
                    shown[field] = codes[shown[field]]
    for single in ("adjustment", "count"):
        if single in body:
            _with_codes(codes, {"changes": [body[single]]})
    return body


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
    """Changes of the asked catalog objects at the asked locations, filtered, oldest first."""
    request = call.body(BatchRetrieveChanges)
    after = _instant(request.updated_after, "updated_after")
    before = _instant(request.updated_before, "updated_before")

    def wanted(change: dict) -> bool:
        return ((request.types is None or change["type"] in request.types)
                and (request.states is None or bool(_states_of(change) & set(request.states))))

    return _changes_page(call, request.catalog_object_ids, request.location_ids, request.cursor,
                         request.limit or CHANGES_LIMIT, False, wanted, after, before)


def object_changes(call: Call) -> dict:
    """GET /v2/inventory/{catalog_object_id}/changes?location_ids=a,b&cursor=: newest first."""
    args = call.request.args
    locations = [loc for loc in (args.get("location_ids") or "").split(",") if loc] or None
    return _changes_page(call, [call.path["catalog_object_id"]], locations, args.get("cursor"),
                         CHANGES_LIMIT, True, lambda change: True)


def _changes_page(call: Call, catalog_object_ids: list[str] | None, location_ids: list[str] | None,
                  after: str | None, limit: int, newest_first: bool, wanted: Callable[[dict], bool],
                  occurred_after=None, occurred_before=None) -> dict:
    """A page of the changes of these products' sales-floor items, by (occurred_at, id), read
    from the store a page at a time from Square's opaque `cursor` (a keyset cursor)."""
    found = {item.id: item for item in _items(call, catalog_object_ids, location_ids)}
    page = merged_ledger.page(
        call.services, call.actor, list(found), after, limit, newest_first, occurred_after,
        occurred_before, keep=lambda entry: wanted(square_change(entry, found[entry.item_id])))
    body: dict[str, Any] = {"changes": [square_change(entry, found[entry.item_id])
                                        for entry in page.items]}
    if page.next_cursor is not None:
        body["cursor"] = page.next_cursor
    return _with_codes(_location_codes(call), body)


def retrieve_adjustment(call: Call) -> dict:
    """GET /v2/inventory/adjustments/{id}: a ledger entry other than a count, by its id."""
    change = _change_by_id(call, call.path["adjustment_id"], "ADJUSTMENT")
    return _with_codes(_location_codes(call), {"adjustment": change["adjustment"]})


def retrieve_physical_count(call: Call) -> dict:
    """GET /v2/inventory/physical-counts/{id}: a count (AUDIT entry), by its id."""
    change = _change_by_id(call, call.path["physical_count_id"], "PHYSICAL_COUNT")
    return _with_codes(_location_codes(call), {"count": change["physical_count"]})


def _change_by_id(call: Call, entry_id: str, kind: str) -> dict:
    organization = call.actor.organization_id
    entry = call.services.store.get_ledger_entry(organization, entry_id)
    item = call.services.store.get_item(organization, entry.item_id) if entry else None
    change = square_change(entry, item) if entry and item and item.room_type is ROOM else None
    if change is None or change["type"] != kind:
        raise NotFound(f"no {kind.lower().replace('_', ' ')} {entry_id}", "id", "NOT_FOUND")
    return change


def _states_of(change: dict) -> set[str]:
    if change["type"] == "PHYSICAL_COUNT":
        return {change["physical_count"]["state"]}
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
    filters = [f for product_id in catalog_object_ids or [None] for location_id in location_ids or [None]
               if (f := _filter(call, product_id, location_id, updated_after)) is not None]

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
    return _with_codes(_location_codes(call), body)


def _filter(call: Call, product_id: str | None, location_id: str | None,
            updated_after) -> ItemFilter | None:
    """The sales-floor items of a product at a location (by id or code); None when no location
    has that id or code."""
    if location_id is not None:
        location = resolve_location(call.services.store, call.actor.organization_id, location_id)
        if location is None:
            return None
        location_id = location.id
    return ItemFilter(location_id=location_id, room_type=ROOM, product_id=product_id,
                      updated_after=updated_after)


def _items(call: Call, catalog_object_ids: list[str] | None,
           location_ids: list[str] | None) -> Iterable[InventoryItem]:
    """The sales-floor items of these products at these locations (None: every one)."""
    for product_id in catalog_object_ids or [None]:
        for location_id in location_ids or [None]:
            page_cursor = None
            while True:
                query = _query(call, product_id, location_id, limit=200, cursor=page_cursor)
                if query is None:
                    break
                page = items.list_items(call.services, call.actor, query)
                yield from page.items
                if page.next_cursor is None:
                    break
                page_cursor = page.next_cursor


def _query(call: Call, product_id: str | None, location_id: str | None,
           **rest) -> ListInventory | None:
    """The native list query for a product at a location (by id or code) on its sales floor;
    None when no location has that id or code, or an id has a shape no product can have."""
    if location_id is not None:
        location = resolve_location(call.services.store, call.actor.organization_id, location_id)
        if location is None:
            return None
        location_id = location.id
    try:
        return ListInventory(product_id=product_id, location_id=location_id, room_type=ROOM, **rest)
    except ValidationError:
        return None


def _item_id(call: Call, native: NativeChange, index: int,
             resolved: dict[tuple[str, str], list[InventoryItem]]) -> str:
    """The sales-floor item a change is about (`resolved` remembers each product and location
    of the batch, read once)."""
    key = (native.catalog_object_id, native.location_id)
    if key not in resolved:
        query = _query(call, *key, limit=2)
        resolved[key] = items.list_items(call.services, call.actor, query).items if query else []
    found = resolved[key]
    if len(found) > 1:
        raise refused(f"changes[{index}].catalog_object_id", "CONFLICT",
                      f"{native.catalog_object_id} has more than one SKU on that sales floor")
    if not found:
        raise NotFound(f"no stock of {native.catalog_object_id} at location {native.location_id}'s "
                       "sales floor; create it with POST /api/v1/inventory first",
                       f"changes[{index}].catalog_object_id", "NOT_FOUND")
    return found[0].id


def _bulk_line(item_id: str, native: NativeChange, index: int) -> BulkLine:
    try:
        if native.counted is not None:
            return BulkLine(id=item_id, quantity=native.counted, reason_code=native.reason)
        return BulkLine(id=item_id, quantity_change=native.quantity_change, reason_code=native.reason)
    except ValidationError as error:  # beyond our places or range
        problem = error.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise refused(f"changes[{index}].quantity", "INVALID_VALUE", problem) from None


def _instant(text: str | None, field: str):
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError:
        raise refused(field, "INVALID_TIME", f"{field} must be an RFC 3339 time with an offset") from None
