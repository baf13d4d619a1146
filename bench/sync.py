"""A full POS sync of a 10,000-row file export through the real sync path vs raw csv + sqlite3.

On the embedded SQLite store (built by bootstrap, as `make run` builds it) a location gets a file
POS connection; a first full sync creates its 10,000 items. Then a POS export where half the
quantities differ is synced in full the way a user gets it: request_sync (the 202 use case) and
run_sync (the in-process worker's part). Checked after: 10,000 seen, 5,000 updated, 5,000
unchanged, no errors, every quantity equal to the export's. The baseline, in the same run, parses
the same CSV with the csv module and writes the same changes with raw sqlite3 into a fresh
database of the same shape (same pragmas): an UPDATE of each changed item and one ledger row per
change, one transaction. The sync writes more than that (an outbox event per change, the run, its
completion event), so the target is a share of the raw rate: >= 0.3x. A second sync of the same
export must change nothing (ledger rows and item versions counted in the SQLite file) and only
confirm each item: its last_sync set to the run's time (one UPDATE per 400 items).
Repeats alternate two exports, so every timed full sync changes half the rows.

    .venv/bin/python bench/sync.py            # 10,000 rows, 3 repeats
    .venv/bin/python bench/sync.py --quick    # 2,000 rows, 1 repeat
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import sqlite3
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from inventory import bootstrap
from inventory.domain.commands import CreateLocation, RequestSync, SetPosConnection
from inventory.domain.sync import SyncRun, SyncStatus
from inventory.domain.time import format_instant
from inventory.service import locations, sync
from inventory.service.admin import create_api_key, create_organization
from inventory.service.auth import Actor
from inventory.service.unit_of_work import WITHOUT_KEY
from inventory.service.ports import Services

from harness import metric, peak_python_mib, table

EXPORT = "pos-export.csv"
HEADER = "sku,room_type,quantity,product_name,category,unit,unit_cost,unit_price"


def sku(index: int) -> str:
    return f"SKU-{index:06d}"


def export_text(quantities: list[int]) -> str:
    """The file connector's CSV: a header row, then one row per item."""
    lines = [HEADER] + [f"{sku(n)},sales_floor,{q},Product {n},flower,each,2.50,8.00"
                        for n, q in enumerate(quantities)]
    return "\n".join(lines) + "\n"


def counts(rows: int, seed: int = 11) -> tuple[list[int], list[int]]:
    """Opening quantities, and a count where every even row differs from them."""
    rng = random.Random(seed)
    opening = [rng.randint(0, 500) for _ in range(rows)]
    counted = [q + rng.randint(1, 20) if n % 2 == 0 else q for n, q in enumerate(opening)]
    return opening, counted


class SyncedLocation:
    """A location on the embedded store with a file POS connection, set up through the use cases."""

    def __init__(self, folder: Path):
        os.environ.update(INVENTORY_DATA_DIR=str(folder), INVENTORY_STORE="sqlite",
                          INVENTORY_EVENTS="local")
        os.environ.pop("INVENTORY_POS_FILE_ROOT", None)
        bootstrap.reset()
        self.services: Services = bootstrap.services()
        organization = create_organization(self.services, "Sync bench")
        key, _ = create_api_key(self.services, organization.id, "bench key")
        self.actor = Actor(organization.id, key.id, frozenset(key.scopes))
        self.id = locations.create_location(
            self.services, self.actor, CreateLocation(name="Bench", time_zone="America/Denver"),
            WITHOUT_KEY).result.location.id
        self.export = self.services.settings.pos_file_root / organization.id / EXPORT
        self.export.parent.mkdir(parents=True, exist_ok=True)
        self.export.write_text(HEADER + "\n")
        sync.set_connection(self.services, self.actor, self.id,
                            SetPosConnection(kind="file", settings={"path": EXPORT}), WITHOUT_KEY)

    def full_sync(self) -> tuple[SyncRun, float]:
        """Queue a full sync and work it, as POST /inventory/sync and the worker do; seconds taken."""
        started = time.perf_counter()
        queued = sync.request_sync(self.services, self.actor,
                                   RequestSync(location_id=self.id, sync_type="full"), WITHOUT_KEY)
        run = sync.run_sync(self.services, queued.result.run.id)
        elapsed = time.perf_counter() - started
        assert run.status is SyncStatus.SUCCEEDED, run.error
        return run, elapsed

    def read(self, sql: str, parameters=()) -> list:
        """Straight from the SQLite file, on a connection of its own."""
        db = sqlite3.connect(self.services.settings.sqlite_path)
        try:
            return db.execute(sql, parameters).fetchall()
        finally:
            db.close()

    def confirmed_since(self, instant: str) -> int:
        """Active items of the location whose last_sync is at or after `instant`."""
        return self.read("SELECT COUNT(*) FROM items WHERE organization_id = ? AND location_id = ?"
                         " AND archived_at IS NULL AND last_sync >= ?",
                         (self.actor.organization_id, self.id, instant))[0][0]

    def state(self) -> tuple[int, dict[str, tuple[int, int]]]:
        """Ledger rows, and each active item's (scaled quantity, version) by SKU."""
        ledger = self.read("SELECT COUNT(*) FROM ledger")[0][0]
        items = self.read("SELECT sku, quantity, version FROM items WHERE organization_id = ?"
                          " AND location_id = ? AND archived_at IS NULL",
                          (self.actor.organization_id, self.id))
        return ledger, {s: (q, v) for s, q, v in items}


def check(run: SyncRun, location: SyncedLocation, quantities: list[int], *, created: int, updated: int,
          ledger_before: int) -> None:
    rows = len(quantities)
    s = run.summary
    got = (s.seen, s.created, s.updated, s.unchanged, len(s.errors), len(s.missing))
    want = (rows, created, updated, rows - created - updated, 0, 0)
    assert got == want, f"summary (seen, created, updated, unchanged, errors, missing) {got} != {want}"
    ledger, items = location.state()
    assert len(items) == rows, f"{len(items)} items at the location, not {rows}"
    wrong = [sku(n) for n, q in enumerate(quantities) if items[sku(n)][0] != q * 1000]
    assert not wrong, f"{len(wrong)} quantities differ from the export, e.g. {wrong[:3]}"
    changed = location.read("SELECT COUNT(*) FROM ledger WHERE sync_id = ? AND reason_code = 'AUDIT'"
                            " AND source = 'pos_sync'", (run.id,))[0][0]
    # A created item's opening count is an AUDIT entry of the sync too, unless it is zero (as
    # creating an item with quantity 0 writes no entry). Only the first sync creates: every row.
    opened = sum(1 for q in quantities if q != 0) if created else 0
    assert ledger - ledger_before == changed == updated + opened, \
        f"{ledger - ledger_before} ledger rows written, {changed} by the sync, {updated + opened} changes"


def raw_database(folder: Path, opening: list[int]) -> Path:
    """A fresh database shaped like the store's items and ledger, holding the opening counts."""
    path = folder / f"raw-{uuid.uuid4().hex[:8]}.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE items (id TEXT PRIMARY KEY, sku TEXT NOT NULL, room_type TEXT NOT NULL,"
               " quantity INTEGER NOT NULL, last_sync TEXT, updated_at TEXT NOT NULL,"
               " version INTEGER NOT NULL)")
    db.execute("CREATE UNIQUE INDEX items_by_place ON items (room_type, sku)")
    db.execute("CREATE INDEX items_by_update ON items (updated_at)")
    db.execute("CREATE TABLE ledger (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
               " item_id TEXT NOT NULL, quantity_change INTEGER NOT NULL,"
               " quantity_before INTEGER NOT NULL, quantity_after INTEGER NOT NULL,"
               " reason_code TEXT NOT NULL, source TEXT NOT NULL, sync_id TEXT,"
               " item_version INTEGER NOT NULL, occurred_at TEXT NOT NULL)")
    db.execute("CREATE INDEX ledger_by_item ON ledger (item_id, seq)")
    db.execute("CREATE INDEX ledger_by_item_time ON ledger (item_id, occurred_at, seq)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO items VALUES (?, ?, 'sales_floor', ?, NULL, '2026-01-01T00:00:00.000000Z', 1)",
                   [(f"itm_{n:06d}", sku(n), q * 1000) for n, q in enumerate(opening)])
    db.execute("COMMIT")
    db.close()
    return path


def raw_sync(path: Path, export: Path) -> tuple[int, float]:
    """Parse the export with csv and apply its differences with raw sqlite3; changes and seconds."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    started = time.perf_counter()
    counted = {(row["room_type"], row["sku"]): int(Decimal(row["quantity"]) * 1000)
               for row in csv.DictReader(io.StringIO(export.read_text(encoding="utf-8")))}
    now = "2026-01-02T00:00:00.000000Z"
    changes = 0
    db.execute("BEGIN IMMEDIATE")
    for item_id, room, code, quantity, version in db.execute(
            "SELECT id, room_type, sku, quantity, version FROM items").fetchall():
        target = counted[(room, code)]
        if target == quantity:
            continue
        changes += 1
        db.execute("UPDATE items SET quantity = ?, version = ?, updated_at = ?, last_sync = ?"
                   " WHERE id = ?", (target, version + 1, now, now, item_id))
        db.execute("INSERT INTO ledger (id, item_id, quantity_change, quantity_before, quantity_after,"
                   " reason_code, source, sync_id, item_version, occurred_at)"
                   " VALUES (?, ?, ?, ?, ?, 'AUDIT', 'pos_sync', 'syn_raw', ?, ?)",
                   (f"chg_{uuid.uuid4().hex}", item_id, target - quantity, quantity, target,
                    version + 1, now))
    db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return changes, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 rows, 1 repeat")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    rows = options.rows or (2000 if options.quick else 10_000)
    repeats = 1 if options.quick else options.repeats
    opening, counted = counts(rows)
    changed = sum(a != b for a, b in zip(opening, counted))

    with tempfile.TemporaryDirectory(prefix="bench-sync-") as scratch:
        folder = Path(scratch)
        location = SyncedLocation(folder / "data")

        # The first full sync creates every item at its opening count.
        location.export.write_text(export_text(opening))
        run, seed_s = location.full_sync()
        check(run, location, opening, created=rows, updated=0, ledger_before=0)

        # Each timed sync changes half the rows: the count, then the opening again, and so on.
        exports = [counted, opening]
        sync_times = []
        for n in range(repeats):
            quantities = exports[n % 2]
            location.export.write_text(export_text(quantities))
            ledger_before, _ = location.state()
            run, seconds = location.full_sync()
            check(run, location, quantities, created=0, updated=changed, ledger_before=ledger_before)
            sync_times.append(seconds)

        # The same export again: nothing to change, so no ledger row and no version may be
        # written; every item is confirmed (last_sync), and that is all.
        before = location.state()
        run, no_change_s = location.full_sync()
        check(run, location, quantities, created=0, updated=0, ledger_before=before[0])
        assert location.state() == before, "a sync with nothing to change wrote ledger rows or versions"
        confirmed = location.confirmed_since(format_instant(run.started_at))
        assert confirmed == rows, f"{confirmed} of {rows} items confirmed by the no-change sync"

        raw_times = []
        for n in range(repeats):
            path = raw_database(folder, exports[(n + 1) % 2])
            location.export.write_text(export_text(exports[n % 2]))
            raw_changes, seconds = raw_sync(path, location.export)
            assert raw_changes == changed, f"raw path changed {raw_changes}, not {changed}"
            raw_times.append(seconds)
        raw_path = raw_database(folder, quantities)
        _, raw_no_change_s = raw_sync(raw_path, location.export)

        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # Peak Python memory of one more full sync with changes, and of the raw path's.
        location.export.write_text(export_text(exports[repeats % 2]))
        sync_peak = peak_python_mib(location.full_sync)
        raw_path = raw_database(folder, exports[(repeats + 1) % 2])
        raw_peak = peak_python_mib(lambda: raw_sync(raw_path, location.export))
        bootstrap.services().store.close()
        bootstrap.reset()

    ours, raw = statistics.median(sync_times), statistics.median(raw_times)
    table(f"Full POS sync of a {rows:,}-row file export, {changed:,} changed "
          f"(median of {repeats}; SQLite, synchronous=FULL)",
          ["path", "seconds", "rows/s", "peak py MiB"],
          [["raw csv + sqlite3 (baseline)", f"{raw:.3f}", f"{rows / raw:,.0f}", f"{raw_peak:.1f}"],
           ["full sync, half changed", f"{ours:.3f}", f"{rows / ours:,.0f}", f"{sync_peak:.1f}"],
           ["raw csv + sqlite3, no change", f"{raw_no_change_s:.3f}", f"{rows / raw_no_change_s:,.0f}", ""],
           ["full sync, no change", f"{no_change_s:.3f}", f"{rows / no_change_s:,.0f}", ""],
           [f"first sync, creates {rows:,}", f"{seed_s:.3f}", f"{rows / seed_s:,.0f}", ""]])
    print(f"(every sync checked: summary counts, quantities, ledger rows; no-change sync wrote no "
          f"ledger rows or versions, only each item's last_sync; process peak RSS {rss_mib:.0f} MiB)")
    metric("sync.full_rate", rows / ours, "rows/s", rows / raw, ">= 0.3")
    metric("sync.no_change_rate", rows / no_change_s, "rows/s", rows / raw_no_change_s, None)
    metric("sync.peak_python_memory", sync_peak, "MiB", raw_peak, None)
    print(json.dumps({"metric": "sync.peak_rss", "value": round(rss_mib, 1), "unit": "MiB",
                      "baseline": None, "ratio": None, "target": None}))


if __name__ == "__main__":
    main()
