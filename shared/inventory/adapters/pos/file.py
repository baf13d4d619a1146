"""A POS export on disk (CSV with a header row, or a JSON list of objects), in the organization's
own folder, `<root>/<organization_id>/`.

The path is checked when the connection is saved and again, after resolving symlinks, each time
the file is read: a symlink to another organization's folder (or anywhere else) placed after the
connection was saved is refused. Errors name the path as the organization gave it, never the
server's directories.
"""
from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path
from typing import Iterator

from ...domain import wire
from ...domain.errors import InvalidInput
from .pages import Page, in_pages


class ExportRefused(ValueError):
    """The export is not a regular file inside the organization's folder."""


class FilePos:
    def __init__(self, root: Path, organization_id: str, path: str):
        self.folder = root.resolve() / organization_id  # the folder itself may not be a symlink
        self.path = path
        if not self._inside(self.folder / path):
            raise InvalidInput(f"{path} is outside the organization's POS folder",
                               "settings.path", "path_outside_root")

    def _inside(self, path: Path) -> bool:
        try:
            return self.folder in path.resolve().parents
        except (OSError, ValueError, RuntimeError):  # a NUL byte, a symlink loop
            return False

    def pages(self, since: str | None) -> Iterator[Page]:
        # A file has no change feed: an incremental sync reads it again only if it changed.
        data, stamp = self._read()
        if since == stamp:
            return
        text = data.decode("utf-8")
        if self.path.lower().endswith(".json"):
            rows = wire.loads(text)  # a truncated JSON file fails here, before any row is applied
            if not isinstance(rows, list):
                raise ValueError("a JSON export must be a list of objects")
            yield from in_pages(([r if isinstance(r, dict) else {"sku": None} for r in rows]), stamp)
        else:
            yield from in_pages(self.csv_rows(text), stamp)

    def _read(self) -> tuple[bytes, str]:
        """The file's bytes and modification stamp, if it is a regular file in the folder now."""
        try:
            real = (self.folder / self.path).resolve(strict=True)
            if self.folder not in real.parents:
                raise ExportRefused(f"{self.path} is outside the organization's POS folder")
            # O_NOFOLLOW: no symlink swapped in since resolving; O_NONBLOCK: a FIFO cannot stall us.
            fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as error:  # its message would show the server's directories
            raise OSError(error.errno, error.strerror, self.path) from None
        except RuntimeError:
            raise ExportRefused(f"{self.path} is a symlink loop") from None
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            os.close(fd)
            raise ExportRefused(f"{self.path} is not a regular file")
        with os.fdopen(fd, "rb") as file:
            return file.read(), str(status.st_mtime_ns)

    @staticmethod
    def csv_rows(text: str) -> Iterator[dict]:
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                # a short or long line: a truncated file, or a stray delimiter
                yield {"sku": row.get("sku"), "quantity": "truncated row"}
            else:
                yield row
