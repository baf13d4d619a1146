"""Snapshot cost grows with the items, not with the ledger.

A location with 5,000 items and 200 changes each (1,000,000 ledger rows) on SQLite: a snapshot
of all of it against listing the same 5,000 current items (target: at most 3x), against a naive
replay of the whole ledger, and at 50 changes per item to show the cost does not follow history.
Prints a table, then one JSON line per metric.

    .venv/bin/python bench/snapshot.py            # 5,000 items x 50 and x 200 changes
    .venv/bin/python bench/snapshot.py --quick    # 1,000 items x 10 and x 40 changes
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from inventory.adapters.sqlite import SqliteStore
from inventory.adapters.sqlite.store import _SETTING_ENTRY
from inventory.adapters.records import to_row
from inventory.domain.codes import RoomType
from inventory.domain.models import InventoryItem, Location
from inventory.domain.time import format_instant
from inventory.service.ports import ItemFilter

from harness import peak_python_mib

ORG, LOCATION = "org_bench", "loc_bench"
START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def build(path: Path, items: int, changes: int, seed: int = 7) -> tuple[datetime, datetime]:
    """A scratch database: schema by SqliteStore, rows by raw executemany (one transaction)."""
    SqliteStore(path).close()
    rng = random.Random(seed)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    db.execute("INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)",
               (ORG, "Bench", format_instant(START)))
    location = to_row(Location(id=LOCATION, organization_id=ORG, name="Bench",
                               time_zone="America/Denver", created_at=START))
    db.execute(f"INSERT INTO locations ({', '.join(location)}) VALUES ({', '.join('?' * len(location))})",
               list(location.values()))
    # Changes are spread over a year and interleaved across items, as a busy store writes them;
    # rows are generated as they are inserted, so the build holds no million-row list.
    step = timedelta(days=365) / (items * changes)
    quantity = [0] * items

    def ledger():
        seq = 0
        for round_ in range(changes):
            for index in range(items):
                seq += 1
                change = rng.randint(50, 200) * 1000 if round_ == 0 else rng.randint(-3, 4) * 1000
                change = max(change, -quantity[index]) or 1000
                before, quantity[index] = quantity[index], quantity[index] + change
                reason = "ADJUSTMENT" if round_ == 0 else "SALE" if change < 0 else "RETURN"
                at = format_instant(START + step * (seq - 1))  # recorded when it happened
                yield (f"chg_{seq:09d}", ORG, f"itm_{index:06d}", LOCATION, change, before,
                       quantity[index], reason, "api", round_ + 1, at, at)

    db.executemany(
        "INSERT INTO ledger (id, organization_id, item_id, location_id, quantity_change, quantity_before,"
        " quantity_after, reason_code, source, item_version, occurred_at, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ledger())
    end = START + step * items * changes
    template = InventoryItem(id="x", organization_id=ORG, product_id="p", product_name="Product",
                             sku="x", location_id=LOCATION, room_type=RoomType.SALES_FLOOR,
                             category="flower", quantity=Decimal(0), unit_cost=Decimal("2.5"),
                             created_at=START, updated_at=end, version=changes)
    row = to_row(template)
    columns = list(row)
    item_rows = []
    for index in range(items):
        row.update(id=f"itm_{index:06d}", sku=f"SKU-{index:06d}", quantity=quantity[index],
                   product_id=f"prod_{index:06d}")
        item_rows.append([row[c] for c in columns])
    db.executemany(f"INSERT INTO items ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                   item_rows)
    db.execute("COMMIT")
    db.close()
    return START, end


def timed(work, repeat: int) -> float:
    """Best wall time of `repeat` runs after a warm-up (page cache, statement cache): on a shared
    machine the fastest run is the one least disturbed by other work."""
    work()
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(folder: Path, items: int, changes: int, repeat: int) -> dict:
    path = folder / f"bench_{items}x{changes}.sqlite3"
    started = time.perf_counter()
    first, last = build(path, items, changes)
    build_s = time.perf_counter() - started
    store = SqliteStore(path)
    middle = first + (last - first) / 2

    def listing():
        page = store.list_items(ORG, ItemFilter(location_id=LOCATION), 1, items)
        assert len(page.items) == items

    def snapshot_at(at):
        def run():
            page = store.snapshot(ORG, LOCATION, at, None, None, None, items)
            assert len(page.lines) == items and page.totals.items == items
            return page
        return run

    def snapshot_paged(at, limit=1000):
        def run():
            after, seen, totals = None, 0, None
            while True:  # later pages carry the first page's totals, as the service's cursor does
                page = store.snapshot(ORG, LOCATION, at, None, None, after, limit, totals)
                seen += len(page.lines)
                after, totals = page.last_id, page.totals
                if after is None:
                    assert seen == items
                    return
        return run

    stamp = format_instant(middle)

    def replay_python():
        quantities: dict[str, int] = {}
        for item_id, change in store._query(
                "SELECT item_id, quantity_change FROM ledger WHERE organization_id = ?"
                " AND location_id = ? AND occurred_at <= ? ORDER BY seq", [ORG, LOCATION, stamp]):
            quantities[item_id] = quantities.get(item_id, 0) + change
        assert len(quantities) == items
        return quantities

    def replay_sql():
        rows = store._query("SELECT item_id, SUM(quantity_change) FROM ledger WHERE organization_id = ?"
                            " AND location_id = ? AND occurred_at <= ? GROUP BY item_id",
                            [ORG, LOCATION, stamp])
        assert len(rows) == items
        return rows

    def snapshot_sql():
        # The part that reads the ledger: every item's quantity at the instant, no objects built.
        rows = store._query("SELECT i.id, COALESCE(s.quantity_after, 0), s.recorded_at, s.revised_at"
                            f" FROM items AS i {_SETTING_ENTRY} WHERE i.organization_id"
                            " = :org AND i.location_id = :location",
                            {"org": ORG, "location": LOCATION, "at": stamp})
        assert len(rows) == items
        return rows

    # The snapshot must agree with the replay it replaces.
    replayed = replay_python()
    page = snapshot_at(middle)()
    assert all(int(line.quantity * 1000) == replayed[line.item.id] for line in page.lines)

    result = {
        "items": items, "changes": changes, "ledger_rows": items * changes, "build_s": build_s,
        "list_s": timed(listing, repeat),
        "snapshot_middle_s": timed(snapshot_at(middle), repeat),
        "snapshot_end_s": timed(snapshot_at(last), repeat),
        "snapshot_paged_s": timed(snapshot_paged(middle), repeat),
        "snapshot_sql_s": timed(snapshot_sql, repeat),
        "replay_python_s": timed(replay_python, 1),
        "replay_sql_s": timed(replay_sql, 1),
        "list_peak_mib": peak_python_mib(listing),
        "snapshot_peak_mib": peak_python_mib(snapshot_at(middle)),
        "db_mib": path.stat().st_size / 2**20,
    }
    store.close()
    path.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 items x 10 and x 40 changes")
    parser.add_argument("--items", type=int)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    items = options.items or (1000 if options.quick else 5000)
    short, long = (10, 40) if options.quick else (50, 200)
    with tempfile.TemporaryDirectory(prefix="bench-snapshot-") as folder:
        runs = [measure(Path(folder), items, changes, options.repeat) for changes in (short, long)]
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"Snapshot of one location on SQLite ({items:,} items; best of {options.repeat} runs)")
    print(f"{'changes/item':>12} {'ledger rows':>12} {'list':>9} {'snapshot':>9} {'at end':>9} "
          f"{'1000/page':>9} {'snap sql':>9} {'replay py':>10} {'replay sql':>10} {'snap/list':>9} "
          f"{'py peak':>8}")
    for r in runs:
        print(f"{r['changes']:>12} {r['ledger_rows']:>12,} {r['list_s'] * 1000:>7.1f}ms "
              f"{r['snapshot_middle_s'] * 1000:>7.1f}ms {r['snapshot_end_s'] * 1000:>7.1f}ms "
              f"{r['snapshot_paged_s'] * 1000:>7.1f}ms {r['snapshot_sql_s'] * 1000:>7.1f}ms "
              f"{r['replay_python_s'] * 1000:>8.0f}ms "
              f"{r['replay_sql_s'] * 1000:>8.0f}ms {r['snapshot_middle_s'] / r['list_s']:>8.2f}x "
              f"{r['snapshot_peak_mib']:>6.1f}MiB")
    builds = ", ".join(f"{r['build_s']:.1f}s" for r in runs)
    sizes = ", ".join(f"{r['db_mib']:.0f} MiB" for r in runs)
    print(f"(build: {builds}; database {sizes}; process peak RSS {rss_mib:.0f} MiB)")

    small, big = runs
    tag = f"{items}_items_{big['changes']}_changes"
    metrics = [
        ("snapshot_vs_list_" + tag, big["snapshot_middle_s"], "s", big["list_s"], 3.0),
        ("snapshot_paged_1000_vs_list_" + tag, big["snapshot_paged_s"], "s", big["list_s"], 3.0),
        ("snapshot_vs_replay_python_" + tag, big["snapshot_middle_s"], "s", big["replay_python_s"], None),
        ("snapshot_vs_replay_sql_" + tag, big["snapshot_middle_s"], "s", big["replay_sql_s"], None),
        ("snapshot_sql_vs_replay_sql_" + tag, big["snapshot_sql_s"], "s", big["replay_sql_s"], None),
        (f"snapshot_sql_{big['changes']}_vs_{small['changes']}_changes_per_item_{items}_items",
         big["snapshot_sql_s"], "s", small["snapshot_sql_s"], 1.5),
        (f"snapshot_{big['changes']}_vs_{small['changes']}_changes_per_item_{items}_items",
         big["snapshot_middle_s"], "s", small["snapshot_middle_s"], 1.5),
        ("snapshot_peak_python_memory_" + tag, big["snapshot_peak_mib"], "MiB", big["list_peak_mib"], 3.0),
        ("bench_snapshot_peak_rss", rss_mib, "MiB", None, None),
    ]
    for name, value, unit, baseline, target in metrics:
        ratio = round(value / baseline, 4) if baseline else None
        print(json.dumps({"metric": name, "value": round(value, 6), "unit": unit,
                          "baseline": None if baseline is None else round(baseline, 6),
                          "ratio": ratio, "target": target}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
