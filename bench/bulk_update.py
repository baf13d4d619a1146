"""A 500-change bulk update through bulk_update_inventory's real functions-framework app vs raw
sqlite3 writing the same rows (500 ledger rows, 500 outbox rows, the item updates) in one
transaction with the same pragmas. Rows per second of each; target >= 0.3x the raw rate."""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import functions_framework

from harness import ROOT, demo_data_dir, metric, table

CHANGES = 500


def through_the_function(data_dir: Path, key: str, items: list[str]) -> float:
    os.environ["INVENTORY_DATA_DIR"] = str(data_dir)
    client = functions_framework.create_app(
        target="bulk_update_inventory",
        source=str(ROOT / "functions/bulk_update_inventory/main.py")).test_client()
    body = {"updates": [{"id": items[n % len(items)], "quantity_change": 1, "reason_code": "RETURN"}
                        for n in range(CHANGES)]}
    started = time.perf_counter()
    response = client.post("/api/v1/inventory/bulk-update", json=body,
                           headers={"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return elapsed


def raw_sqlite(items: list[str]) -> float:
    path = Path(tempfile.mkdtemp()) / "raw.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("CREATE TABLE items (id TEXT PRIMARY KEY, quantity INTEGER, version INTEGER)")
    db.execute("CREATE TABLE ledger (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, item_id TEXT,"
               " quantity_change INTEGER, reason_code TEXT, occurred_at TEXT)")
    db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, data TEXT)")
    db.executemany("INSERT INTO items VALUES (?, 0, 1)", [(i,) for i in items])
    started = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    for n in range(CHANGES):
        item = items[n % len(items)]
        db.execute("UPDATE items SET quantity = quantity + 1000, version = version + 1 WHERE id = ?", (item,))
        db.execute("INSERT INTO ledger (id, item_id, quantity_change, reason_code, occurred_at)"
                   " VALUES (?, ?, 1000, 'RETURN', '2026-11-25T00:00:00.000000Z')", (uuid.uuid4().hex, item))
        db.execute("INSERT INTO events (id, data) VALUES (?, ?)", (uuid.uuid4().hex, '{"type":"inventory.updated"}'))
    db.execute("COMMIT")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else args.repeats
    data_dir, key = demo_data_dir()
    items = [row[0] for row in sqlite3.connect(data_dir / "inventory.sqlite3").execute(
        "SELECT id FROM items WHERE room_type != 'quarantine'")]
    ours = statistics.median(through_the_function(data_dir, key, items) for _ in range(repeats))
    raw = statistics.median(raw_sqlite(items) for _ in range(repeats))
    table(f"{CHANGES}-change bulk update, median of {repeats}", ["path", "seconds", "changes/s"],
          [["raw sqlite3 (baseline)", f"{raw:.4f}", f"{CHANGES / raw:.0f}"],
           ["bulk_update_inventory", f"{ours:.4f}", f"{CHANGES / ours:.0f}"]])
    metric("bulk_update.rate", CHANGES / ours, "changes/s", CHANGES / raw, ">= 0.3")


if __name__ == "__main__":
    main()
