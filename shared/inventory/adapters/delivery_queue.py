"""Queueing webhook deliveries, one Pub/Sub message each, on `inventory-webhook-deliveries`.

No ordering key: each delivery is pushed into deliver_webhook on its own, so a subscriber that
hangs holds up only the deliveries waiting for it.
"""
from __future__ import annotations

from typing import Sequence


class PubSubDeliveryQueue:
    def __init__(self, project: str, topic: str, timeout_s: float = 30.0):
        from google.cloud import pubsub_v1  # only the dispatcher and the retry timer queue deliveries

        self._client = pubsub_v1.PublisherClient()
        self._topic = self._client.topic_path(project, topic)
        self._timeout_s = timeout_s

    def enqueue(self, delivery_ids: Sequence[str]) -> None:
        futures = [self._client.publish(self._topic, delivery_id.encode(), delivery_id=delivery_id)
                   for delivery_id in delivery_ids]
        for future in futures:
            future.result(timeout=self._timeout_s)
