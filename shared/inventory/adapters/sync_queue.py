"""Asking for a queued sync run to be worked, through the `inventory-sync-requests` topic."""
from __future__ import annotations


class PubSubSyncQueue:
    def __init__(self, project: str, topic: str):
        from google.cloud import pubsub_v1  # only functions that queue syncs load it

        self._client = pubsub_v1.PublisherClient()
        self._topic = self._client.topic_path(project, topic)

    def enqueue(self, sync_id: str) -> None:
        self._client.publish(self._topic, sync_id.encode(), sync_id=sync_id).result(timeout=30)
