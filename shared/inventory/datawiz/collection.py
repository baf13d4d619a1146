"""The collection Datawiz uploaders read and write: posted rows become physical counts (AUDIT)
through the same bulk use case the native API has, and are kept as posted for reading back."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Sequence

from ..domain.codes import Scope
from ..domain.commands import BulkLine, BulkUpdate, is_resource_id
from ..domain.errors import InvalidInput
from ..domain.snapshot import end_of_day, local_date
from ..service import stock_rows
from ..service.auth import Actor
from ..service.locations import resolve_location
from ..service.ports import ItemFilter, Services, StockRow
from ..service.results import RowsCounted
from ..service.unit_of_work import Idempotency, Outcome
from .rows import InventoryRow, RowsRefused

ORDERINGS = {  # their `ordering` values: identifier is the row's key, name the product's
    "identifier": lambda row: (row.date, row.location_id, row.product_id),
    "name": lambda row: (row.product_id, row.location_id, row.date),
}


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


def list_rows(services: Services, actor: Actor, search: str | None,
              ordering: str | None) -> list[StockRow]:
    """The organization's rows whose product id contains `search`, in `ordering`."""
    rows = list(services.store.list_stock_rows(actor.organization_id))
    if search:
        rows = [row for row in rows if search.lower() in row.product_id.lower()]
    if ordering:
        rows.sort(key=ORDERINGS[ordering.lstrip("-")], reverse=ordering.startswith("-"))
    return rows


def stock_total(row: StockRow) -> Decimal | None:
    if row.original_price is None:
        return None
    return (Decimal(row.qty) * Decimal(row.original_price)).quantize(Decimal("0.01"))
