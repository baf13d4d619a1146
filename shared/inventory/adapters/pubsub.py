"""Publishing outbox events to a Pub/Sub topic: attributes `type` and `organization_id`, ordered by item."""
from __future__ import annotations

from typing import Sequence

from ..domain import wire
from ..domain.models import Event


class PubSubPublisher:
    def __init__(self, project: str, topic: str, timeout_s: float = 30.0):
        from google.cloud import pubsub_v1  # imported only by functions that publish

        self._client = pubsub_v1.PublisherClient(
            publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=True))
        self._topic = self._client.topic_path(project, topic)
        self._timeout_s = timeout_s

    def publish(self, events: Sequence[Event]) -> None:
        futures = []
        for event in events:
            futures.append((event, self._client.publish(
                self._topic, encode(event).encode(), ordering_key=event.subject_id,
                type=event.type, organization_id=event.organization_id, event_id=event.id)))
        for event, future in futures:
            try:
                future.result(timeout=self._timeout_s)
            except Exception:
                # An ordering key pauses after a failure until resumed; the relay will retry.
                self._client.resume_publish(self._topic, event.subject_id)
                raise


def encode(event: Event) -> str:
    return wire.dumps(event.model_dump())


def decode(data: bytes | str) -> Event:
    return Event.model_validate(wire.loads(data))
