"""Composition root: the one place that knows which adapters are in use.

Each function instance builds its collaborators once, lazily, on its first request, so
importing a function touches no network and no cloud client it does not need.
"""
from __future__ import annotations

import threading

from .service.clock import SystemClock
from .service.ids import new_id
from .service.ports import InventoryStore, Services
from .settings import Settings

_lock = threading.Lock()
_services: Services | None = None
_settings: Settings | None = None


def settings() -> Settings:
    """The instance's settings, read from the environment once."""
    global _settings
    if _settings is None:
        _settings = Settings.from_environment()
    return _settings


def build_store(settings: Settings) -> InventoryStore:
    if settings.store == "sqlite":
        from .adapters.sqlite import SqliteStore
        return SqliteStore(settings.sqlite_path)
    raise ValueError(f"INVENTORY_STORE={settings.store!r} is not a store this build knows")


def services() -> Services:
    """The instance's services, built on first use and reused across invocations."""
    global _services
    if _services is None:
        with _lock:
            if _services is None:
                current = settings()
                _services = Services(store=build_store(current), clock=SystemClock(),
                                     new_id=new_id, settings=current)
    return _services


def reset() -> None:
    """Forget the built services, so the next call reads the environment again."""
    global _services, _settings
    with _lock:
        _services = None
        _settings = None
