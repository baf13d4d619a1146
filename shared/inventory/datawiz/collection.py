"""The collection Datawiz uploaders read and write: posted rows become physical counts (AUDIT)
through the same bulk use case the native API has, and are kept as posted for reading back."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Sequence

from ..domain.codes import Scope
from ..domain.commands import BulkLine, BulkUpdate, is_resource_id
from ..domain import cursor
from ..domain.errors import InvalidInput, NotFound
from ..domain.snapshot import end_of_day, local_date
from ..service import stock_rows
from ..service.auth import Actor
from ..service.locations import resolve_location
from ..service.ports import STOCK_ROW_ORDERS, ItemFilter, Services, StockRow
from ..service.results import RowsCounted
from ..service.unit_of_work import Idempotency, Outcome
from .rows import InventoryRow, RowsRefused

# Their `ordering` values, as the store's orders: identifier is the row's key (date, shop,
# product), name the product's (product, shop, date).
ORDERINGS = {"identifier": "date", "name": "product"}


@dataclass(frozen=True)
class RowsPage:
    """A page of the collection, how many rows it is part of, and the keyset cursor of the page
    after it (None on the last)."""

    rows: Sequence[StockRow]
    count: int
    next_cursor: str | None


@dataclass(frozen=True)
class Plan:
    """Posted rows, checked: the latest row per (location, product, date) with its item and the
    instant its count happened (None: now), and the positions of the posted rows each came from."""

    latest: dict[tuple[str, str, str], tuple[InventoryRow, str, datetime | None]]
    positions: dict[tuple[str, str, str], list[int]]
    row_count: int
    many: bool


def check_rows(services: Services, actor: Actor, rows: Sequence[InventoryRow], many: bool) -> Plan:
    """Every row's shop, product and date, before anything is written; RowsRefused names each
    refused row's fields. A row for an earlier day is a count at the end of that day in the
    shop's time zone; a row for today, which is not over, a count now."""
    org = actor.organization_id
    now = services.clock.now()
    problems: list[dict[str, list[str]]] = []
    latest: dict[tuple[str, str, str], tuple[InventoryRow, str, datetime | None]] = {}
    positions: dict[tuple[str, str, str], list[int]] = {}
    for position, row in enumerate(rows):
        found: dict[str, list[str]] = {}
        # Their shop number is a location's id or its code (an id wins); only an id's shape is
        # looked up as an id (a Firestore document id cannot hold "/").
        location = (resolve_location(services.store, org, row.shop_id) if is_resource_id(row.shop_id)
                    else services.store.find_location_by_code(org, row.shop_id))
        item_id, occurred_at = None, None
        if location is None:
            found["shop_id"] = [f'Invalid shop_id "{row.shop_id}" - object does not exist.']
        else:
            today = local_date(now, location.time_zone)
            if row.date > today:
                found["date"] = [f"A count cannot be dated after today ({today.isoformat()} in "
                                 "the shop's time zone)."]
            elif row.date < today:
                occurred_at = end_of_day(row.date, location.time_zone)
            matches = services.store.list_items(org, ItemFilter(location_id=location.id,
                                                                 product_id=row.product_id), 1, 2).items
            if not matches:
                found["product_id"] = [f'Invalid product_id "{row.product_id}" - object does not '
                                       "exist at this shop."]
            elif len(matches) > 1:
                found["product_id"] = [f'Product "{row.product_id}" has items in several rooms at '
                                       "this shop; count them through /api/v1/inventory."]
            else:
                item_id = matches[0].id
        problems.append(found)
        if not found:
            key = (location.id, row.product_id, row.date.isoformat())
            latest[key] = (row, item_id, occurred_at)
            positions.setdefault(key, []).append(position)
    if any(problems):
        raise RowsRefused(problems if many else problems[0])
    return Plan(latest, positions, len(rows), many)


def apply_rows(services: Services, actor: Actor, plan: Plan,
               idempotency: Idempotency) -> Outcome[RowsCounted]:
    """Count every row (reason AUDIT, at its instant) and keep the rows, in one unit of work:
    all rows or none, exactly once per Idempotency-Key."""
    notes = "Datawiz product-inventory row"
    counts = BulkUpdate(updates=[
        BulkLine(id=item_id, quantity=row.qty, occurred_at=occurred_at,
                 notes=f"{notes} {row.date}")
        for row, item_id, occurred_at in plan.latest.values()])
    kept = [StockRow(organization_id=actor.organization_id, location_id=key[0],
                     product_id=key[1], date=key[2], qty=str(row.qty),
                     original_price=None if row.unit_price is None else str(row.unit_price),
                     recorded_at="")  # stamped with the transaction's time
            for key, (row, _, _) in plan.latest.items()]
    try:
        return stock_rows.count_stock_rows(services, actor, counts, kept, idempotency)
    except InvalidInput as refusal:  # a count the ledger refuses, named on the rows it came from
        if refusal.code != "bulk_update_refused":
            raise
        raise RowsRefused(_row_problems(refusal, plan)) from None


# The fields of a refused bulk line, as the fields of the row it came from.
ROW_FIELD = {"occurred_at": "date", "quantity": "qty", "quantity_change": "qty", "id": "product_id"}


def _row_problems(refusal: InvalidInput, plan: Plan):
    """The bulk change's refusals (`updates[i].<field>`) on the fields of the rows line i came from."""
    problems: list[dict[str, list[str]]] = [{} for _ in range(plan.row_count)]
    lines = list(plan.latest)
    for field in refusal.fields or []:
        index, _, name = field.field.partition("].")
        key = lines[int(index.removeprefix("updates["))]
        row = plan.latest[key][0]
        theirs = ROW_FIELD.get(name, "non_field_errors")
        message = field.message
        if theirs == "date":
            message = (message.replace("occurred_at", f"The end of {row.date.isoformat()} in the "
                                                      "shop's time zone", 1)
                       if message.startswith("occurred_at") else
                       f"A count at the end of {row.date.isoformat()} in the shop's time zone "
                       f"conflicts with later changes: {message}")
        for position in plan.positions[key]:
            problems[position].setdefault(theirs, []).append(message)
    return problems if plan.many else problems[0]


def find_row(services: Services, actor: Actor, row_id: str) -> StockRow | None:
    """The row their single-row URL names, `{date}_{shop_id}_{product_id}`, shop by the location's
    id or code as results show it. Shop ids and product ids may hold `_`: each split is tried
    against the organization's locations (an id wins over a code), reading only the rows a
    location matches."""
    actor.require(Scope.INVENTORY_READ)
    day, separator, rest = row_id[:10], row_id[10:11], row_id[11:]
    try:
        date.fromisoformat(day)
    except ValueError:
        return None
    if separator != "_":
        return None
    locations = services.store.list_locations(actor.organization_id)
    by_id = {location.id: location for location in locations}
    by_code = {location.code: location for location in locations if location.code}
    for at in (i for i, char in enumerate(rest) if char == "_"):
        shop, product = rest[:at], rest[at + 1:]
        location = by_id.get(shop) or by_code.get(shop)
        if location is None or not product:
            continue
        row = services.store.get_stock_row(actor.organization_id, location.id, product, day)
        if row is not None:
            return row
    return None


def read_page(services: Services, actor: Actor, search: str | None, ordering: str | None,
              page: int, size: int, after: str | None) -> RowsPage | None:
    """Page `page` of the organization's rows in `ordering`, from the cursor `after` (a `next`
    link's) or else by its number; with `search`, only rows whose product id contains it. None
    when the page is past the end (their 404 "Invalid page.")."""
    org = actor.organization_id
    order = ORDERINGS[(ordering or "identifier").lstrip("-")]
    descending = bool(ordering and ordering.startswith("-"))
    start = (page - 1) * size
    if search:  # a part of product ids: no index seeks to it, so every row is read and filtered
        matching = [row for row in services.store.list_stock_rows(org)
                    if search.lower() in row.product_id.lower()]
        matching.sort(key=lambda row: _key(row, order), reverse=descending)
        count, rows = len(matching), matching[start:start + size]
    else:  # the count, then the page alone: from the cursor's row, or after `start` rows
        count = services.store.stock_row_count(org)
        key = _read_cursor(after, order, descending) if after else None
        rows = services.store.stock_rows_page(org, order, descending, key, start, size)
    if page > 1 and start >= count:
        return None
    more = bool(rows) and start + len(rows) < count
    return RowsPage(rows, count, _write_cursor(order, descending, rows[-1]) if more else None)


def _key(row: StockRow, order: str) -> tuple[str, str, str]:
    return tuple(getattr(row, field) for field in STOCK_ROW_ORDERS[order])  # type: ignore[return-value]


def _write_cursor(order: str, descending: bool, row: StockRow) -> str:
    return cursor.write(f"rows-{order}-{'desc' if descending else 'asc'}", json.dumps(_key(row, order)))


def _read_cursor(text: str, order: str, descending: bool) -> tuple[str, str, str]:
    """A cursor of this ordering's `next` link; any other is their 404 "Invalid cursor."."""
    try:
        key = json.loads(cursor.read(text, f"rows-{order}-{'desc' if descending else 'asc'}"))
    except (InvalidInput, ValueError):
        key = None
    if not (isinstance(key, list) and len(key) == 3 and all(isinstance(k, str) for k in key)):
        raise NotFound("Invalid cursor.", "cursor", "invalid_cursor")
    return tuple(key)  # type: ignore[return-value]


def stock_total(row: StockRow) -> Decimal | None:
    if row.original_price is None:
        return None
    return (Decimal(row.qty) * Decimal(row.original_price)).quantize(Decimal("0.01"))
