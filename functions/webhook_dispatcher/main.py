"""Pub/Sub-triggered: deliver one published event to its organization's matching subscriptions."""
import base64

import functions_framework

from inventory import bootstrap
from inventory.adapters.pubsub import decode
from inventory.service import delivery


@functions_framework.cloud_event
def webhook_dispatcher(cloud_event):
    # Eventarc's Pub/Sub CloudEvent: data = {"message": {"data": base64, "attributes": {...}}}.
    event = decode(base64.b64decode(cloud_event.data["message"]["data"]))
    # A failed attempt is recorded and retried on the timer; only a crash makes Pub/Sub redeliver,
    # and the delivery ids make that redelivery post nothing twice.
    delivery.deliver_event(bootstrap.services(), event)
