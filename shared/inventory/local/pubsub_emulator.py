"""Topics and subscriptions on the Pub/Sub emulator, through its REST API, as infra/ declares them
in the cloud: one topic per trigger, a push subscription into each event-triggered function."""
from __future__ import annotations

import base64

import requests


class PubSubEmulator:
    def __init__(self, host: str, project: str):
        self.base = f"http://{host}/v1/projects/{project}"
        self.project = project

    def topic_path(self, topic: str) -> str:
        return f"projects/{self.project}/topics/{topic}"

    def create_topic(self, topic: str) -> None:
        self._put(f"topics/{topic}", {})

    def create_push_subscription(self, name: str, topic: str, endpoint: str, *, ordered: bool,
                                 dead_letter_topic: str, max_delivery_attempts: int = 5) -> None:
        """A push subscription: Pub/Sub posts each message to `endpoint` and retries non-2xx answers."""
        self._put(f"subscriptions/{name}", {
            "topic": self.topic_path(topic),
            "pushConfig": {"pushEndpoint": endpoint},
            "ackDeadlineSeconds": 60,
            "enableMessageOrdering": ordered,
            "retryPolicy": {"minimumBackoff": "1s", "maximumBackoff": "10s"},
            "deadLetterPolicy": {"deadLetterTopic": self.topic_path(dead_letter_topic),
                                 "maxDeliveryAttempts": max_delivery_attempts},
        })

    def create_pull_subscription(self, name: str, topic: str, *, dead_letter_topic: str,
                                 ack_deadline_s: int = 60, max_delivery_attempts: int = 5) -> None:
        """A pull subscription with the push subscriptions' delivery policy (see push_relay.py)."""
        self._put(f"subscriptions/{name}", {
            "topic": self.topic_path(topic),
            "ackDeadlineSeconds": ack_deadline_s,
            "retryPolicy": {"minimumBackoff": "1s", "maximumBackoff": "10s"},
            "deadLetterPolicy": {"deadLetterTopic": self.topic_path(dead_letter_topic),
                                 "maxDeliveryAttempts": max_delivery_attempts},
        })

    def pull(self, subscription: str, max_messages: int, timeout_s: float = 30) -> list[dict]:
        """Received messages ({"ackId", "message"}), waiting a while for some to come."""
        response = requests.post(f"{self.base}/subscriptions/{subscription}:pull",
                                 json={"maxMessages": max_messages}, timeout=timeout_s)
        response.raise_for_status()
        return response.json().get("receivedMessages", [])

    def acknowledge(self, subscription: str, ack_ids: list[str]) -> None:
        requests.post(f"{self.base}/subscriptions/{subscription}:acknowledge",
                      json={"ackIds": ack_ids}, timeout=10).raise_for_status()

    def nack(self, subscription: str, ack_ids: list[str]) -> None:
        """Hand the messages back for redelivery now."""
        requests.post(f"{self.base}/subscriptions/{subscription}:modifyAckDeadline",
                      json={"ackIds": ack_ids, "ackDeadlineSeconds": 0}, timeout=10).raise_for_status()

    def publish(self, topic: str, data: str, **attributes: str) -> None:
        message = {"data": base64.b64encode(data.encode()).decode(), "attributes": attributes}
        response = requests.post(f"{self.base}/topics/{topic}:publish", json={"messages": [message]},
                                 timeout=10)
        response.raise_for_status()

    def _put(self, path: str, body: dict) -> None:
        response = requests.put(f"{self.base}/{path}", json=body, timeout=10)
        if response.status_code != 409:  # already there: a restart against a running emulator
            response.raise_for_status()
