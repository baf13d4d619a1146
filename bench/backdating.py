"""A backdated change costs what the entries after its instant cost, never the older history.

On SQLite through the service (PATCH's use case, one transaction): a change dated before k later
entries of its item (k = 1, 10, 100, 1,000, each item also holding 2,000 older entries), against
an ordinary change to an item with the same history, and k = 100 with no older history to show
the older entries are not read. Prints a table, then one JSON line per metric.

    .venv/bin/python bench/backdating.py            # 9 repeats
    .venv/bin/python bench/backdating.py --quick    # 5 repeats, 500 older entries
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
from inventory.domain.codes import ChangeSource, ReasonCode, RoomType, Scope
from inventory.domain.commands import UpdateItem
from inventory.domain.ledger import ChangeContext, place_change
from inventory.domain.models import InventoryItem, Location, Organization
from inventory.service import items
from inventory.service.auth import Actor
from inventory.service.unit_of_work import WITHOUT_KEY
from inventory.service.ids import new_id
from inventory.service.ports import Services

from harness import metric, table

ORG, LOCATION = "org_bench", "loc_bench"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
START = NOW - timedelta(days=30)
CONTEXT = ChangeContext(source=ChangeSource.API)


class FixedClock:
    def now(self) -> datetime:
        return NOW


def history(store: SqliteStore, older: int, later: int) -> tuple[str, datetime]:
    """An item whose ledger holds `older` entries, then an instant T, then `later` entries; returns
    its id and T. Entries are decided by the domain and written through the Transaction port."""
    item_id = new_id("itm")
    step = (NOW - START) / (older + later + 2)
    item = InventoryItem(id=item_id, organization_id=ORG, product_id="p", product_name="Product",
                         sku=item_id, location_id=LOCATION, room_type=RoomType.SALES_FLOOR,
                         quantity=Decimal(0), created_at=START, updated_at=START, version=1)
    entries = []
    for n in range(older + later + 1):
        at = START + step * (n + (1 if n > older else 0))
        placed = place_change(item, quantity_change=Decimal(1_000_000 if n == 0 else -1),
                              reason=ReasonCode.ADJUSTMENT if n == 0 else ReasonCode.SALE,
                              notes=None, context=CONTEXT, change_id=new_id("chg"), now=at,
                              occurred_at=at)
        item = placed.item
        entries.append(placed.entry)

    def write(tx):
        tx.find_active_item(ORG, LOCATION, RoomType.SALES_FLOOR, item_id)
        tx.save_item(item)
        for entry in entries:
            tx.append_ledger(entry)

    store.transact(write)
    return item_id, START + step * (older + 1)


def timed_change(services: Services, actor: Actor, item_id: str, occurred_at: datetime | None) -> float:
    command = UpdateItem(quantity_change=Decimal(-1), reason_code=ReasonCode.DAMAGE,
                         occurred_at=occurred_at)
    started = time.perf_counter()
    outcome = items.update_item(services, actor, item_id, command, None, WITHOUT_KEY)
    elapsed = time.perf_counter() - started
    assert outcome.result is not None
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats, older = (5, 500) if args.quick else (args.repeats, 2000)
    store = SqliteStore(Path(tempfile.mkdtemp(prefix="inventory-bench-")) / "inventory.sqlite3")
    store.save_organization(Organization(id=ORG, name="Bench", created_at=START))
    store.transact(lambda tx: tx.save_location(Location(
        id=LOCATION, organization_id=ORG, name="Bench", time_zone="UTC", created_at=START)))
    services = Services(store=store, clock=FixedClock(), new_id=new_id)
    actor = Actor(ORG, "key_bench", frozenset(Scope))

    ordinary_times: list[float] = []

    def median_of(older_entries: int, later: int) -> float:
        """The median backdated change before `later` entries; an ordinary change to an item with
        the same history is timed between each, so both see the same disk and load."""
        # Fresh items (a change adds to its history), all built before any is timed.
        built = [(history(store, older_entries, later), history(store, older_entries, later)[0])
                 for _ in range(repeats)]
        times = []
        for (dated_item, instant), plain_item in built:
            times.append(timed_change(services, actor, dated_item, instant))
            ordinary_times.append(timed_change(services, actor, plain_item, None))
        return statistics.median(times)

    median_of(10, 10)  # warm-up: statements prepared, pages cached
    ordinary_times.clear()
    results = [(later, median_of(older, later)) for later in (1, 10, 100, 1000)]
    no_older = median_of(0, 100)
    ordinary = statistics.median(ordinary_times)
    rows = [["ordinary change (now)", f"{older}+", 0, f"{ordinary * 1000:.2f}", "1.00"]]
    for later, seconds in results:
        rows.append([f"dated before {later} later", older + later, later, f"{seconds * 1000:.2f}",
                     f"{seconds / ordinary:.2f}"])
    rows.append(["dated before 100 later, no older", 100, 100, f"{no_older * 1000:.2f}",
                 f"{no_older / ordinary:.2f}"])
    table(f"One PATCH on SQLite, median of {repeats}",
          ["change", "entries before it", "entries re-derived", "ms", "x ordinary"], rows)
    for later, seconds in results:
        metric(f"backdated change, {later} later entries", seconds, "s", ordinary,
               "grows with the later entries only")
    with_older = dict(results)[100]
    metric("backdated change before 100 later entries: 0 older vs "
           f"{older} older entries", no_older, "s", with_older, "~1x")


if __name__ == "__main__":
    main()
