"""A POS export on disk (CSV with a header row, or a JSON list of objects), under one folder."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Iterator

from ...domain import wire
from ...domain.errors import InvalidInput
from .pages import Page, in_pages


class FilePos:
    def __init__(self, root: Path, path: str):
        self.path = (root / path).resolve()
        if root.resolve() not in self.path.parents:
            raise InvalidInput(f"the export must be inside {root}", "settings.path", "path_outside_root")

    def pages(self, since: str | None) -> Iterator[Page]:
        # A file has no change feed: an incremental sync reads it again only if it changed.
        stamp = str(os.stat(self.path).st_mtime_ns)
        if since == stamp:
            return
        text = self.path.read_text(encoding="utf-8")
        if self.path.suffix.lower() == ".json":
            rows = wire.loads(text)  # a truncated JSON file fails here, before any row is applied
            if not isinstance(rows, list):
                raise ValueError("a JSON export must be a list of objects")
            yield from in_pages(([r if isinstance(r, dict) else {"sku": None} for r in rows]), stamp)
        else:
            yield from in_pages(self.csv_rows(text), stamp)

    @staticmethod
    def csv_rows(text: str) -> Iterator[dict]:
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                # a short or long line: a truncated file, or a stray delimiter
                yield {"sku": row.get("sku"), "quantity": "truncated row"}
            else:
                yield row
