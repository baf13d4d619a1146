"""The embedded store: stdlib sqlite3 in WAL mode, one transaction per use case."""
from .store import SqliteStore

__all__ = ["SqliteStore"]
