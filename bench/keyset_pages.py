"""A page read from a keyset cursor costs the page, not the rows before it.

On SQLite through the store and the service: one Square-style page of 100 changes of an item
whose ledger holds 10,000 entries, read from a cursor 9,000 entries in (service/merged_ledger.py
over store.ledger_by_time), against the whole-read it replaced (every entry through
store.list_changes, sorted and sliced in memory); and one Datawiz page of 50 of 10,000 stock rows
from its `next` cursor (store.stock_rows_page) against reading every row and slicing. Prints a
table, then one JSON line per metric.

    .venv/bin/python bench/keyset_pages.py            # 9 repeats, 10,000 rows
    .venv/bin/python bench/keyset_pages.py --quick    # 5 repeats, 2,000 rows
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from inventory.adapters.sqlite import SqliteStore
from inventory.domain import cursor
from inventory.domain.codes import ChangeSource, ReasonCode, RoomType, Scope
from inventory.domain.models import InventoryItem, LedgerEntry, Location, Organization
from inventory.domain.time import format_instant
from inventory.service import merged_ledger
from inventory.service.auth import Actor
from inventory.service.ids import new_id
from inventory.service.ports import Services, StockRow

from harness import metric, table

ORG, LOCATION, ITEM = "org_bench", "loc_bench", "itm_bench"
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def stocked_store(rows: int) -> SqliteStore:
    """One item with `rows` ledger entries, and `rows` stock rows."""
    store = SqliteStore(Path(tempfile.mkdtemp(prefix="inventory-bench-")) / "inventory.sqlite3")
    store.save_organization(Organization(id=ORG, name="Bench", created_at=START))
    item = InventoryItem(id=ITEM, organization_id=ORG, product_id="p", product_name="Product",
                         sku="SKU", location_id=LOCATION, room_type=RoomType.SALES_FLOOR,
                         quantity=Decimal(rows), created_at=START, updated_at=START, version=rows)
    entries = [LedgerEntry(id=new_id("chg"), organization_id=ORG, item_id=ITEM, location_id=LOCATION,
                           quantity_change=Decimal(1), quantity_before=Decimal(n),
                           quantity_after=Decimal(n + 1), reason_code=ReasonCode.ADJUSTMENT,
                           source=ChangeSource.API, item_version=n + 1,
                           occurred_at=START + timedelta(seconds=n)) for n in range(rows)]
    stock = [StockRow(organization_id=ORG, location_id=LOCATION, product_id=f"p{n:06}",
                      date="2026-11-30", qty="1", original_price=None,
                      recorded_at=format_instant(START)) for n in range(rows)]

    def write(tx):
        tx.save_location(Location(id=LOCATION, organization_id=ORG, name="Bench", time_zone="UTC",
                                  created_at=START))
        tx.find_active_item(ORG, LOCATION, RoomType.SALES_FLOOR, "SKU")
        tx.save_item(item)
        for entry in entries:
            tx.append_ledger(entry)
        for row in stock:
            tx.save_stock_row(row)

    store.transact(write)
    return store


def whole_read_changes(store: SqliteStore, start: int, limit: int) -> list:
    """What Square's changes list did before: read every entry, sort, slice."""
    found, after = [], None
    while True:
        page = store.list_changes(ORG, ITEM, after, 200)
        found += page.items
        if page.next_cursor is None:
            break
        after = page.next_cursor
    found.sort(key=lambda entry: (entry.occurred_at, entry.id))
    return found[start:start + limit]


def whole_read_rows(store: SqliteStore, start: int, limit: int) -> list:
    """What Datawiz's collection did before: read every row, sort, slice."""
    rows = sorted(store.list_stock_rows(ORG), key=lambda row: (row.date, row.location_id, row.product_id))
    return rows[start:start + limit]


def median_seconds(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats, rows = (5, 2000) if args.quick else (args.repeats, 10_000)
    store = stocked_store(rows)
    services = Services(store=store, clock=None, new_id=new_id)  # type: ignore[arg-type]
    actor = Actor(ORG, "key_bench", frozenset(Scope))
    deep = rows * 9 // 10

    # The cursor a client holds after walking `deep` entries, and the page it reads next.
    before = whole_read_changes(store, deep - 1, 1)[0]
    change_cursor = cursor.write_moment(merged_ledger.OLDEST_FIRST, format_instant(before.occurred_at), before.id)
    keyset_changes = merged_ledger.page(services, actor, [ITEM], change_cursor, 100).items
    assert keyset_changes == whole_read_changes(store, deep, 100)
    row_key = tuple(getattr(whole_read_rows(store, deep - 1, 1)[0], f) for f in ("date", "location_id", "product_id"))
    assert store.stock_rows_page(ORG, "date", False, row_key, 0, 50) == whole_read_rows(store, deep, 50)

    results = {
        "changes_keyset": median_seconds(lambda: merged_ledger.page(services, actor, [ITEM], change_cursor, 100), repeats),
        "changes_whole": median_seconds(lambda: whole_read_changes(store, deep, 100), repeats),
        "rows_keyset": median_seconds(lambda: store.stock_rows_page(ORG, "date", False, row_key, 0, 50), repeats),
        "rows_whole": median_seconds(lambda: whole_read_rows(store, deep, 50), repeats),
    }
    table(f"A page {deep:,} rows deep into {rows:,}, SQLite, median of {repeats}",
          ["page", "keyset ms", "whole-read ms", "keyset / whole-read"],
          [["Square changes, 100", f"{results['changes_keyset'] * 1000:.2f}",
            f"{results['changes_whole'] * 1000:.2f}", f"{results['changes_keyset'] / results['changes_whole']:.3f}"],
           ["Datawiz rows, 50", f"{results['rows_keyset'] * 1000:.2f}",
            f"{results['rows_whole'] * 1000:.2f}", f"{results['rows_keyset'] / results['rows_whole']:.3f}"]])
    metric(f"Square changes page of 100 from a keyset cursor, {rows} entries", results["changes_keyset"],
           "s", results["changes_whole"], "well under 1x the whole-read")
    metric(f"Datawiz page of 50 from a keyset cursor, {rows} rows", results["rows_keyset"],
           "s", results["rows_whole"], "well under 1x the whole-read")


if __name__ == "__main__":
    main()
