"""The embedded mode's background work, in process: queued POS syncs, the sync timer, the outbox
relay and webhook deliveries.

State lives in SQLite (published marks, delivery rows), so stopping the process at any point
loses nothing: the next start relays what was left and retries what was due.
"""
from __future__ import annotations

import logging
import threading
import time

from ..domain.sync import SyncType
from ..service import delivery, outbox, sync
from ..service.ports import Services

_log = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(self, services: Services, poll_s: float = 0.5):
        self.services = services
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._next_scheduled_sync = 0.0
        self._thread = threading.Thread(target=self._run, name="delivery-worker", daemon=True)

    def start(self) -> "DeliveryWorker":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        wake = getattr(self.services.publisher, "wake", None)
        if wake is not None:
            wake.set()
        self._thread.join(timeout=30)

    def run_once(self, relay: bool = True) -> None:
        for run in self.services.store.queued_sync_runs(10):
            sync.run_sync(self.services, run.id)
        interval = self.services.settings.sync_interval_s
        if interval and time.monotonic() >= self._next_scheduled_sync:
            sync.schedule_syncs(self.services, SyncType.INCREMENTAL)
            self._next_scheduled_sync = time.monotonic() + interval
        if relay:
            outbox.relay_pending(self.services)
        delivery.deliver_due(self.services)

    def _run(self) -> None:
        wake = getattr(self.services.publisher, "wake", None)
        next_relay = 0.0
        while not self._stop.is_set():
            # The relay is for events a failed publish left behind, so it runs once a poll period,
            # not on each wake-up: a publish wakes the worker just before marking its events
            # published, and a relay then would fan them out a second time.
            relay = time.monotonic() >= next_relay
            if relay:
                next_relay = time.monotonic() + self.poll_s
            try:
                self.run_once(relay)
            except Exception:  # keep serving; the next turn retries from durable state
                _log.exception("delivery worker turn failed")
            if wake is not None:
                wake.wait(self.poll_s)
                wake.clear()
            else:
                self._stop.wait(self.poll_s)
