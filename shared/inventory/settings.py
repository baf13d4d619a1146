"""All configuration, read once from the environment into one object."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    store: str = "sqlite"              # INVENTORY_STORE: sqlite | firestore
    firestore_database: str = "(default)"  # INVENTORY_FIRESTORE_DATABASE
    feed_settle_s: float = 5.0         # INVENTORY_FEED_SETTLE_S: Firestore event feed hold-back
    data_dir: Path = Path("data")      # INVENTORY_DATA_DIR: where the embedded database lives
    max_body_bytes: int = 1_048_576    # INVENTORY_MAX_BODY_BYTES
    cors_origin: str = "*"             # INVENTORY_CORS_ORIGIN
    events: str = "local"              # INVENTORY_EVENTS: local (in-process bus) | pubsub
    events_topic: str = "inventory-events"  # INVENTORY_EVENTS_TOPIC
    project: str = "inventory-local"   # GOOGLE_CLOUD_PROJECT
    webhook_allow_loopback: bool = False    # INVENTORY_WEBHOOK_ALLOW_LOOPBACK: local receivers
    webhook_timeout_s: float = 10.0    # INVENTORY_WEBHOOK_TIMEOUT_S
    webhook_concurrency: int = 16      # INVENTORY_WEBHOOK_CONCURRENCY
    webhook_retry_schedule: tuple[float, ...] = ()  # INVENTORY_WEBHOOK_RETRY_SCHEDULE: seconds, e.g. "1,2,4"
    sync_topic: str = "inventory-sync-requests"  # INVENTORY_SYNC_TOPIC
    pos_file_root_setting: str = ""    # INVENTORY_POS_FILE_ROOT: file exports must be inside (default DATA_DIR/pos)
    sync_interval_s: float = 0         # INVENTORY_SYNC_INTERVAL_S: local incremental sync timer (0: off)
    # INVENTORY_WEBHOOK_SECRET_KEY: the key ring that seals stored secrets, base64 keys newest
    # first (Secret Manager in the cloud). Never printed with the settings.
    secret_key_ring: str = field(default="", repr=False)
    secret_key_file_setting: str = ""  # INVENTORY_SECRET_KEY_FILE: the ring in a file (see secret_key_file)
    firestore_emulator_host: str = ""  # FIRESTORE_EMULATOR_HOST: Firestore is the local emulator
    pos_max_pages: int = 10_000        # INVENTORY_POS_MAX_PAGES: requests one sync may make to a POS
    pos_max_seconds: float = 480.0     # INVENTORY_POS_MAX_SECONDS: one sync's time with a POS (run_sync has 540 s)
    firestore_contention_s: float = 20.0  # INVENTORY_FIRESTORE_CONTENTION_S: a contended transaction gives up (503) after
    sync_lease_s: float = 60.0         # INVENTORY_SYNC_LEASE_S: a running sync unrenewed this long is failed ("worker lost")
    fan_out_sweep_after_s: float = 600.0  # INVENTORY_FAN_OUT_SWEEP_AFTER_S: a published event not fanned out this long is swept
    deliveries_topic: str = "inventory-webhook-deliveries"  # INVENTORY_DELIVERIES_TOPIC: one message per delivery
    webhook_subscriber_concurrency: int = 4  # INVENTORY_WEBHOOK_SUBSCRIBER_CONCURRENCY: local posts in flight per subscription
    idempotency_ttl_s: float = 86_400.0  # INVENTORY_IDEMPOTENCY_TTL_S: how long a write's reply is kept for replay

    @property
    def pos_file_root(self) -> Path:
        return Path(self.pos_file_root_setting) if self.pos_file_root_setting else self.data_dir / "pos"

    @property
    def secret_key_file(self) -> Path | None:
        """Where the key ring is kept when INVENTORY_WEBHOOK_SECRET_KEY is not set: a file made
        on first use, for a store on this machine only. Against real Firestore there is none:
        an instance must not invent a key that no other instance has."""
        if self.secret_key_file_setting:
            return Path(self.secret_key_file_setting)
        if self.store == "sqlite" or self.firestore_emulator_host:
            return self.data_dir / "secret-keys"
        return None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "inventory.sqlite3"

    @classmethod
    def from_environment(cls) -> "Settings":
        env = os.environ
        return cls(
            store=env.get("INVENTORY_STORE", cls.store),
            firestore_database=env.get("INVENTORY_FIRESTORE_DATABASE", cls.firestore_database),
            feed_settle_s=float(env.get("INVENTORY_FEED_SETTLE_S", cls.feed_settle_s)),
            data_dir=Path(env.get("INVENTORY_DATA_DIR", str(cls.data_dir))),
            max_body_bytes=int(env.get("INVENTORY_MAX_BODY_BYTES", cls.max_body_bytes)),
            cors_origin=env.get("INVENTORY_CORS_ORIGIN", cls.cors_origin),
            events=env.get("INVENTORY_EVENTS", cls.events),
            events_topic=env.get("INVENTORY_EVENTS_TOPIC", cls.events_topic),
            project=env.get("GOOGLE_CLOUD_PROJECT", cls.project),
            webhook_allow_loopback=env.get("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "") in ("1", "true", "yes"),
            webhook_timeout_s=float(env.get("INVENTORY_WEBHOOK_TIMEOUT_S", cls.webhook_timeout_s)),
            webhook_concurrency=int(env.get("INVENTORY_WEBHOOK_CONCURRENCY", cls.webhook_concurrency)),
            sync_topic=env.get("INVENTORY_SYNC_TOPIC", cls.sync_topic),
            pos_file_root_setting=env.get("INVENTORY_POS_FILE_ROOT", ""),
            sync_interval_s=float(env.get("INVENTORY_SYNC_INTERVAL_S", cls.sync_interval_s)),
            pos_max_pages=int(env.get("INVENTORY_POS_MAX_PAGES", cls.pos_max_pages)),
            pos_max_seconds=float(env.get("INVENTORY_POS_MAX_SECONDS", cls.pos_max_seconds)),
            firestore_contention_s=float(env.get("INVENTORY_FIRESTORE_CONTENTION_S",
                                                 cls.firestore_contention_s)),
            sync_lease_s=float(env.get("INVENTORY_SYNC_LEASE_S", cls.sync_lease_s)),
            fan_out_sweep_after_s=float(env.get("INVENTORY_FAN_OUT_SWEEP_AFTER_S", cls.fan_out_sweep_after_s)),
            deliveries_topic=env.get("INVENTORY_DELIVERIES_TOPIC", cls.deliveries_topic),
            webhook_subscriber_concurrency=int(env.get("INVENTORY_WEBHOOK_SUBSCRIBER_CONCURRENCY",
                                                       cls.webhook_subscriber_concurrency)),
            webhook_retry_schedule=tuple(
                float(s) for s in env.get("INVENTORY_WEBHOOK_RETRY_SCHEDULE", "").split(",") if s),
            idempotency_ttl_s=_positive("INVENTORY_IDEMPOTENCY_TTL_S", float(
                env.get("INVENTORY_IDEMPOTENCY_TTL_S", cls.idempotency_ttl_s))),
            secret_key_ring=env.get("INVENTORY_WEBHOOK_SECRET_KEY", ""),
            secret_key_file_setting=env.get("INVENTORY_SECRET_KEY_FILE", ""),
            firestore_emulator_host=env.get("FIRESTORE_EMULATOR_HOST", ""),
        )


def _positive(name: str, value: float) -> float:
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive number of seconds, not {value}")
    return value
