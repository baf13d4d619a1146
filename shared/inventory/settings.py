"""All configuration, read once from the environment into one object."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    store: str = "sqlite"              # INVENTORY_STORE: sqlite | firestore
    data_dir: Path = Path("data")      # INVENTORY_DATA_DIR: where the embedded database lives
    max_body_bytes: int = 1_048_576    # INVENTORY_MAX_BODY_BYTES
    cors_origin: str = "*"             # INVENTORY_CORS_ORIGIN

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "inventory.sqlite3"

    @classmethod
    def from_environment(cls) -> "Settings":
        env = os.environ
        return cls(
            store=env.get("INVENTORY_STORE", cls.store),
            data_dir=Path(env.get("INVENTORY_DATA_DIR", str(cls.data_dir))),
            max_body_bytes=int(env.get("INVENTORY_MAX_BODY_BYTES", cls.max_body_bytes)),
            cors_origin=env.get("INVENTORY_CORS_ORIGIN", cls.cors_origin),
        )
