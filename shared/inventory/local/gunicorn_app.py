"""The local server under gunicorn: the gateway loaded once in the arbiter, served by forked worker
processes with a pool of threads each, and the background work in exactly one of them.

The arbiter holds no store and starts no thread: each worker builds its own services after the
fork (SQLite connections and threads must not cross one) and contends for the background role.
"""
from __future__ import annotations

import gc
import os
import signal
import sys
from typing import Any, Callable

from gunicorn.app.base import BaseApplication

from .. import bootstrap
from .background import BackgroundRole, Nudge, NudgingPublisher
from .gateway import Gateway


# A shutdown signal that reaches a new worker before gunicorn has installed the worker's handlers
# runs the arbiter's inherited one, which only queues it in the worker's copy of the arbiter's
# queue: the worker would then serve on until the arbiter kills it after the graceful timeout.
# So the arbiter holds them from just before each fork until after it, and a new worker releases
# them once its handlers are in place.
SHUTDOWN_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT}


def _release_shutdown_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SHUTDOWN_SIGNALS)


def _hold_shutdown_signals_across_forks() -> None:
    """In the arbiter: every fork it makes from now on starts its child with them held."""
    arbiter = os.getpid()

    def hold() -> None:
        if os.getpid() == arbiter:  # the workers inherit this hook; their own forks are theirs
            signal.pthread_sigmask(signal.SIG_BLOCK, SHUTDOWN_SIGNALS)

    def release() -> None:
        if os.getpid() == arbiter:
            _release_shutdown_signals()
            gc.enable()  # off while the server loaded (see server.main)

    os.register_at_fork(before=hold, after_in_parent=release)


class LocalServer(BaseApplication):
    """gunicorn serving the gateway on an already bound socket; `announce` runs once it listens."""

    def __init__(self, listener_fd: int, workers: int, threads: int, announce: Callable[[], None]):
        self.listener_fd = listener_fd
        self.workers = workers
        self.threads = threads
        self.announce = announce
        self.nudge = Nudge()  # made before the fork, so every worker shares it
        self.role: BackgroundRole | None = None  # in a worker: its contender for the role
        super().__init__()

    def load_config(self) -> None:
        settings: dict[str, Any] = {
            "bind": [f"fd://{self.listener_fd}"],
            "workers": self.workers,
            "worker_class": "gthread",
            "threads": self.threads,
            "preload_app": True,  # import every function once; workers fork with it loaded
            "accesslog": None,  # each request logs its own JSON line (http/request_log.py)
            "errorlog": "-",
            "loglevel": "warning",  # gunicorn's own lines only when something is wrong
            "limit_request_line": 8190,  # gunicorn's largest; a longer request line is a 414
            "control_socket_disable": True,
            "proc_name": "inventory-api",
            "when_ready": lambda arbiter: self.ready(),
            "pre_fork": lambda arbiter, worker: _before_fork(),
            "post_worker_init": lambda worker: self.start_worker(),
            "worker_exit": lambda arbiter, worker: self.stop_worker(),
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self) -> Gateway:
        return Gateway()

    def ready(self) -> None:
        """In the arbiter, listening, before it forks the workers."""
        _hold_shutdown_signals_across_forks()
        self.announce()

    def start_worker(self) -> None:
        """In a freshly forked worker: its own services, and its bid for the background role."""
        _release_shutdown_signals()  # gunicorn's handlers are in place; one held meanwhile runs now
        gc.enable()  # off while the server loaded (see server.main); what it loaded is frozen
        services = bootstrap.services()
        self.role = BackgroundRole(services.settings.data_dir, lambda: _start_background_work(services),
                                   lambda: _wake(services), self.nudge)
        make_publisher = services.publisher_factory
        if make_publisher is not None and services.settings.events == "local":
            role = self.role
            services.publisher_factory = lambda: NudgingPublisher(make_publisher(), self.nudge, role)
        self.role.start()

    def stop_worker(self) -> None:
        if self.role is not None:
            self.role.stop()


def _start_background_work(services):
    """The DeliveryWorker, imported only by the worker that takes the role, off the serving path."""
    from .worker import DeliveryWorker
    worker = DeliveryWorker(services)
    worker.start()
    return worker


def _wake(services) -> None:
    """Wake the DeliveryWorker of this process as a publish here does (the local bus's `wake`)."""
    wake = getattr(services.publisher, "wake", None)
    if wake is not None:
        wake.set()


def _before_fork() -> None:
    # What the arbiter printed but had not yet written must not be written again by each child.
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything loaded so far lives as long as the process: keep the collector away from it, so
    # a worker's collections neither scan it nor copy its pages (shared until written).
    gc.freeze()
