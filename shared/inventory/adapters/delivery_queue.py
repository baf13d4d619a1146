"""Queueing webhook deliveries, one Pub/Sub message each, on `inventory-webhook-deliveries`.

No ordering key: each delivery is pushed into deliver_webhook on its own, so a subscriber that
hangs holds up only the deliveries waiting for it.
"""
from __future__ import annotations

from typing import Sequence

from ..domain.webhooks import Delivery


class PubSubDeliveryQueue:
    def __init__(self, project: str, topic: str, timeout_s: float = 30.0):
        from google.cloud import pubsub_v1  # only the dispatcher and the retry timer queue deliveries

        self._client = pubsub_v1.PublisherClient()
        self._topic = self._client.topic_path(project, topic)
        self._timeout_s = timeout_s

    def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        # The subscription rides along, so deliver_webhook can hold back a subscriber that has
        # enough posts out before it reads anything.
        futures = [self._client.publish(self._topic, d.id.encode(), delivery_id=d.id,
                                        subscription_id=d.subscription_id)
                   for d in deliveries]
        for future in futures:
            future.result(timeout=self._timeout_s)
