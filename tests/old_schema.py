"""A SQLite file as an older version of the service left it: the first `version` migrations
applied and recorded, so that opening the store runs the rest."""
from __future__ import annotations

import sqlite3
from pathlib import Path


def sqlite_file_at_version(path: Path, version: int, *, wal: bool = False) -> sqlite3.Connection:
    from inventory.adapters.sqlite.schema import MIGRATIONS
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    if wal:
        db.execute("PRAGMA journal_mode = WAL")
    for script in MIGRATIONS[:version]:
        db.executescript(script)
    db.execute(f"PRAGMA user_version = {version}")
    return db
