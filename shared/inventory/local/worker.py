"""The embedded mode's background work: the outbox relay and webhook deliveries, in process.

State lives in SQLite (published marks, delivery rows), so stopping the process at any point
loses nothing: the next start relays what was left and retries what was due.
"""
from __future__ import annotations

import logging
import threading

from ..service import delivery, outbox
from ..service.ports import Services

_log = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(self, services: Services, poll_s: float = 0.5):
        self.services = services
        self.poll_s = poll_s
        self._stop = threading.Event()
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

    def run_once(self) -> None:
        outbox.relay_pending(self.services)
        delivery.deliver_due(self.services)

    def _run(self) -> None:
        wake = getattr(self.services.publisher, "wake", None)
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep serving; the next turn retries from durable state
                _log.exception("delivery worker turn failed")
            if wake is not None:
                wake.wait(self.poll_s)
                wake.clear()
            else:
                self._stop.wait(self.poll_s)
