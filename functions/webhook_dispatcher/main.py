"""Pub/Sub-triggered: fan one published event out to its organization's matching subscriptions."""
import base64

import functions_framework

from inventory import bootstrap
from inventory.adapters.pubsub import decode
from inventory.service import delivery


@functions_framework.cloud_event
def webhook_dispatcher(cloud_event):
    # Eventarc's Pub/Sub CloudEvent: data = {"message": {"data": base64, "attributes": {...}}}.
    event = decode(base64.b64decode(cloud_event.data["message"]["data"]))
    # The deliveries are recorded, then each is queued as a message of its own for
    # deliver_webhook; the event's message is acked without waiting for any subscriber. A crash
    # before the queueing makes Pub/Sub redeliver the event, and the delivery ids make the
    # fan-out happen once.
    delivery.dispatch(bootstrap.services(), event)
