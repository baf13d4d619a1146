"""The outbox relay: committed events go to the publisher after commit, and leftovers on a timer."""
from __future__ import annotations

import logging
from typing import Sequence

from ..domain.models import Event
from .ports import Services

_log = logging.getLogger(__name__)
RELAY_BATCH = 500


def publish_committed(services: Services, events: Sequence[Event]) -> None:
    """Publish what a use case just committed; a failure leaves the events for the timer relay."""
    if not events or services.publisher is None:
        return
    try:
        services.publisher.publish(events)
    except Exception as error:  # the change is committed; the relay on a timer will retry
        _log.warning("publishing %d events failed, left for the relay: %s", len(events), error)
        return
    services.store.mark_published([e.id for e in events], services.clock.now())


def relay_pending(services: Services, limit: int = RELAY_BATCH) -> int:
    """Publish outbox events still unpublished (a crash between commit and publish); returns how many."""
    if services.publisher is None:
        return 0
    events = services.store.pending_events(limit)
    if events:
        services.publisher.publish(events)
        services.store.mark_published([e.id for e in events], services.clock.now())
    return len(events)
