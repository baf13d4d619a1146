"""The embedded mode's event bus: publishing makes the deliveries in the database and wakes the worker.

Everything it hands on is already durable in SQLite, so a restart resumes where it stopped.
"""
from __future__ import annotations

import threading
from typing import Callable, Sequence

from ..domain.models import Event


class LocalBus:
    def __init__(self, fan_out: Callable[[Sequence[Event]], object]):
        self._fan_out = fan_out
        self.wake = threading.Event()

    def publish(self, events: Sequence[Event]) -> None:
        self._fan_out(events)
        self.wake.set()
