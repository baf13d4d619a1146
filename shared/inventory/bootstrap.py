"""Composition root: the one place that knows which adapters are in use.

Each function instance builds its collaborators once, lazily, on its first request, so
importing a function touches no network and no cloud client it does not need.
"""
from __future__ import annotations

import threading

from .service.clock import SystemClock
from .service.ids import new_id
from .service.ports import (EventPublisher, InventoryStore, SecretBox, Services, WebhookRenderer,
                            WebhookSender)
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


def build_secret_box(settings: Settings) -> SecretBox:
    """The box that seals stored secrets, keyed from INVENTORY_WEBHOOK_SECRET_KEY (Secret Manager
    in the cloud) or else the local key file; the keys are read on first use."""
    from .adapters.secret_box import KEY_ENV, AesGcmSecretBox, key_file_ring, parse_ring

    def load_ring() -> tuple[bytes, ...]:
        if settings.secret_key_ring:
            return parse_ring(settings.secret_key_ring, KEY_ENV)
        key_file = settings.secret_key_file
        if key_file is None:
            raise ValueError(f"{KEY_ENV} is not set: against Firestore the key that seals stored "
                             "secrets comes from Secret Manager (infra/secrets.tf)")
        return parse_ring(key_file_ring(key_file), f"the key file {key_file}")

    return AesGcmSecretBox(load_ring)


def build_store(settings: Settings) -> InventoryStore:
    if settings.store == "sqlite":
        from .adapters.sqlite import SqliteStore
        return SqliteStore(settings.sqlite_path, secret_box=build_secret_box(settings))
    if settings.store == "firestore":
        from .adapters.firestore import FirestoreStore
        return FirestoreStore(settings.project, settings.firestore_database, settings.feed_settle_s,
                              secret_box=build_secret_box(settings),
                              contention_s=settings.firestore_contention_s)
    raise ValueError(f"INVENTORY_STORE={settings.store!r} is not a store this build knows")


def build_publisher(services: Services) -> EventPublisher:
    settings = services.settings
    if settings.events == "local":
        from .adapters.local_bus import LocalBus
        from .service.delivery import fan_out
        return LocalBus(lambda events: fan_out(services, events))
    if settings.events == "pubsub":
        from .adapters.pubsub import PubSubPublisher
        return PubSubPublisher(settings.project, settings.events_topic)
    raise ValueError(f"INVENTORY_EVENTS={settings.events!r} is not a publisher this build knows")


def build_sender(settings: Settings) -> WebhookSender:
    from .adapters.webhook_sender import HttpWebhookSender
    return HttpWebhookSender(allow_loopback=settings.webhook_allow_loopback,
                             connections=settings.webhook_concurrency)


def build_sync_queue(settings: Settings):
    if settings.events == "pubsub":
        from .adapters.sync_queue import PubSubSyncQueue
        return PubSubSyncQueue(settings.project, settings.sync_topic)
    from .service.ports import StoredSyncQueue
    return StoredSyncQueue()  # the local worker picks queued runs from the store


def build_delivery_queue(settings: Settings):
    if settings.events == "pubsub":
        from .adapters.delivery_queue import PubSubDeliveryQueue
        return PubSubDeliveryQueue(settings.project, settings.deliveries_topic)
    from .service.ports import StoredDeliveryQueue
    return StoredDeliveryQueue()  # the local worker picks due deliveries from the store


def build_webhook_renderers() -> dict[str, WebhookRenderer]:
    """The webhook formats beyond the native one, by name: Square's notifications."""
    from .domain.webhooks import WebhookFormat
    from .square.webhooks import SquareWebhooks
    return {WebhookFormat.SQUARE.value: SquareWebhooks()}


def build_connector(settings: Settings, connection):
    """The connector for a location's POS connection; refuses settings it cannot use (422)."""
    from .adapters.pos.pages import PosLimits
    from .service.url_policy import UrlPolicy
    kind = connection.kind.value
    policy = UrlPolicy(allow_loopback=settings.webhook_allow_loopback)
    limits = PosLimits(max_pages=settings.pos_max_pages, max_seconds=settings.pos_max_seconds)
    if kind == "file":
        from .adapters.pos.file import FilePos
        return FilePos(settings.pos_file_root, connection.organization_id, connection.settings["path"])
    if kind == "http":
        from .adapters.pos.http import HttpPos
        return HttpPos(connection.settings["base_url"], connection.secret, policy, limits)
    from .adapters.pos.s3 import S3Pos
    return S3Pos(connection.settings["bucket"], connection.settings.get("prefix", ""),
                 connection.secret, connection.settings.get("endpoint_url"),
                 connection.settings.get("region"), policy, limits)


def services() -> Services:
    """The instance's services, built on first use and reused across invocations."""
    global _services
    if _services is None:
        with _lock:
            if _services is None:
                current = settings()
                built = Services(store=build_store(current), clock=SystemClock(), new_id=new_id,
                                 settings=current)
                built.publisher_factory = lambda: build_publisher(built)
                built.sender_factory = lambda: build_sender(current)
                built.sync_queue_factory = lambda: build_sync_queue(current)
                built.delivery_queue_factory = lambda: build_delivery_queue(current)
                built.connector_for = lambda connection: build_connector(current, connection)
                built.webhook_renderers_factory = build_webhook_renderers
                _services = built
    return _services


def reset() -> None:
    """Forget the built services, so the next call reads the environment again."""
    global _services, _settings
    with _lock:
        _services = None
        _settings = None
