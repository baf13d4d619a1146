"""The collection Datawiz uploaders read and write: posted rows become physical counts (AUDIT)
through the same bulk use case the native API has, and are kept as posted for reading back."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Sequence
from zoneinfo import ZoneInfo

from ..domain.commands import BulkLine, BulkUpdate, is_resource_id
from ..domain import cursor
from ..domain.errors import InvalidInput, NotFound
from ..domain.time import format_instant
from ..service import items
from ..service.auth import Actor
from ..service.locations import resolve_location
from ..service.ports import STOCK_ROW_ORDERS, ItemFilter, Services, StockRow
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
    """Posted rows, checked: the latest row per (location, product, date) with its item, the
    positions of the posted rows each came from, and how many replace a kept row."""

    latest: dict[tuple[str, str, str], tuple[InventoryRow, str]]
    positions: dict[tuple[str, str, str], list[int]]
    row_count: int
    many: bool
    updated: int

    @property
    def inserted(self) -> int:
        return len(self.latest) - self.updated


def check_rows(services: Services, actor: Actor, rows: Sequence[InventoryRow], many: bool) -> Plan:
    """Every row's shop, product and date, before anything is written; RowsRefused names each
    refused row's fields."""
    org = actor.organization_id
    now = services.clock.now()
    problems: list[dict[str, list[str]]] = []
    latest: dict[tuple[str, str, str], tuple[InventoryRow, str]] = {}
    positions: dict[tuple[str, str, str], list[int]] = {}
    for position, row in enumerate(rows):
        found: dict[str, list[str]] = {}
        # Their shop number is a location's id or its code (an id wins); only an id's shape is
        # looked up as an id (a Firestore document id cannot hold "/").
        location = (resolve_location(services.store, org, row.shop_id) if is_resource_id(row.shop_id)
                    else services.store.find_location_by_code(org, row.shop_id))
        item_id = None
        if location is None:
            found["shop_id"] = [f'Invalid shop_id "{row.shop_id}" - object does not exist.']
        else:
            today = _today(now, location.time_zone)
            if row.date != today:
                found["date"] = [
                    f"Only today's count ({today.isoformat()} in the shop's time zone) can be applied "
                    "yet: rows for other dates need the effective-dated ledger, not yet in this "
                    "server." if row.date < today else
                    f"A count cannot be dated after today ({today.isoformat()} in the shop's time zone)."]
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
            latest[key] = (row, item_id)
            positions.setdefault(key, []).append(position)
    if any(problems):
        raise RowsRefused(problems if many else problems[0])
    kept = {row.key for row in services.store.list_stock_rows(org)}
    return Plan(latest, positions, len(rows), many, sum(1 for key in latest if key in kept))


def apply_rows(services: Services, actor: Actor, plan: Plan, idempotency: Idempotency) -> Outcome:
    """Count every row in one bulk change (reason AUDIT, through the unit of work: exactly once
    per Idempotency-Key), then keep the rows (again on a retry, so a row lost between the two
    transactions comes back)."""
    notes = "Datawiz product-inventory row"
    command = BulkUpdate(updates=[BulkLine(id=item_id, quantity=row.qty, notes=f"{notes} {row.date}")
                                  for row, item_id in plan.latest.values()])
    try:
        outcome = items.bulk_update(services, actor, command, idempotency)
    except InvalidInput as refusal:  # a count the item refuses (a fraction of a unit counted each)
        raise RowsRefused(_row_problems(refusal, [plan.positions[key] for key in plan.latest],
                                        plan.row_count, plan.many)) from None
    recorded = format_instant(services.clock.now())
    stored = [StockRow(organization_id=actor.organization_id, location_id=key[0],
                       product_id=key[1], date=key[2], qty=str(row.qty),
                       original_price=None if row.unit_price is None else str(row.unit_price),
                       recorded_at=recorded)
              for key, (row, _) in plan.latest.items()]
    services.store.transact(lambda tx: [tx.save_stock_row(one) for one in stored])
    return outcome


def _today(now: datetime, time_zone: str) -> date:
    return now.astimezone(ZoneInfo(time_zone)).date()


def _row_problems(refusal: InvalidInput, posted_at: list[list[int]], row_count: int, many: bool):
    """The bulk change's refusals (`updates[i].quantity`) on `qty` of the rows line i came from."""
    problems: list[dict[str, list[str]]] = [{} for _ in range(row_count)]
    for field in refusal.fields or []:
        line = int(field.field.split("]")[0].split("[")[-1]) if "[" in field.field else 0
        for position in posted_at[line]:
            problems[position].setdefault("qty", []).append(field.message)
    return problems if many else problems[0]


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
        count = services.store.count_stock_rows(org)
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
