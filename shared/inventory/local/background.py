"""Which of the local server's worker processes runs the background work, and how the others wake it.

gunicorn serves with several forked worker processes, but the background work (queued POS syncs,
the sync timer, the outbox relay, webhook deliveries: the DeliveryWorker) must run once. Every
worker contends for an exclusive lock on a file in the data directory; the one that holds it runs
the background work, the others try again every second. When the holder dies the kernel drops
its lock, so another worker takes over within a second (and gunicorn replaces the dead one); two
servers on one data directory also run it once.

A publish in a worker without the role still writes its deliveries to the store (the local bus
fans out in the publishing process), then writes a byte into a pipe that the server made before
forking; the holder reads it and wakes its DeliveryWorker as a publish in its own process does.
"""
from __future__ import annotations

import fcntl
import logging
import os
import select
import threading
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from ..adapters.private_files import private_directory

_log = logging.getLogger(__name__)

LOCK_FILE = "background.lock"
RETRY_S = 1.0  # how often a worker without the role tries to take it


class Work(Protocol):
    def stop(self) -> None: ...


class Nudge:
    """A pipe every process of the server inherits: any of them sends, the role's holder listens."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def send(self) -> None:
        try:
            os.write(self._write, b"!")
        except BlockingIOError:  # the pipe is full: a wake-up is already waiting
            pass

    def wait(self, timeout_s: float) -> bool:
        """Whether a nudge came within `timeout_s`; takes every nudge waiting."""
        ready, _, _ = select.select([self._read], [], [], timeout_s)
        if not ready:
            return False
        try:
            return bool(os.read(self._read, 65536))
        except BlockingIOError:
            return False


class BackgroundRole:
    """In one worker process: take the role when it is free, then run the work and pass nudges to it."""

    def __init__(self, data_dir: Path, start_work: Callable[[], Work], wake: Callable[[], None],
                 nudge: Nudge):
        self.lock_path = data_dir / LOCK_FILE
        self._start_work = start_work
        self._wake = wake
        self._nudge = nudge
        self._stop = threading.Event()
        self.held = threading.Event()
        self._thread = threading.Thread(target=self._run, name="background-role", daemon=True)

    def start(self) -> "BackgroundRole":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self.held.is_set():
            self._nudge.send()  # ends the wait for a nudge at once
        self._thread.join(timeout=60)

    def _run(self) -> None:
        private_directory(self.lock_path.parent)
        descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:  # closing the descriptor (or dying) releases the lock
            while not self._take(descriptor):
                if self._stop.wait(RETRY_S):
                    return
            work = self._start_work()
            self.held.set()
            try:
                while not self._stop.is_set():
                    if self._nudge.wait(RETRY_S):
                        self._wake()
            finally:
                work.stop()
        except Exception:  # the lock, if taken, is released below for another worker to take
            _log.exception("the background work stopped")
        finally:
            self.held.clear()
            os.close(descriptor)

    @staticmethod
    def _take(descriptor: int) -> bool:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False


class NudgingPublisher:
    """A worker's event publisher (the local bus) that also nudges the role's holder, unless that
    is this process. Everything else, such as the bus's own `wake`, is the bus's."""

    def __init__(self, bus: Any, nudge: Nudge, role: BackgroundRole):
        self._bus = bus
        self._nudge = nudge
        self._role = role

    def publish(self, events: Sequence[Any]) -> None:
        self._bus.publish(events)
        if not self._role.held.is_set():
            self._nudge.send()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)
