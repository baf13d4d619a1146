"""Pub/Sub-triggered: attempt one webhook delivery (claim, signed post with its timeout, record)."""
import base64

import functions_framework

from inventory import bootstrap
from inventory.service import delivery


@functions_framework.cloud_event
def deliver_webhook(cloud_event):
    # One message per delivery (no ordering key), so a subscriber that hangs holds up only this
    # invocation, and at most INVENTORY_WEBHOOK_SUBSCRIBER_CONCURRENCY of this instance's
    # threads (past that its deliveries stay due for the retry timer). A delivery no longer due
    # (done, waiting for its retry, claimed elsewhere) is left alone, so a redelivered message
    # posts nothing twice.
    message = cloud_event.data["message"]
    delivery_id = base64.b64decode(message["data"]).decode()
    subscription_id = (message.get("attributes") or {}).get("subscription_id")
    delivery.deliver(bootstrap.services(), delivery_id, subscription_id)
