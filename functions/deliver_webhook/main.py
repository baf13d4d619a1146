"""Pub/Sub-triggered: attempt one webhook delivery (claim, signed post with its timeout, record)."""
import base64

import functions_framework

from inventory import bootstrap
from inventory.service import delivery


@functions_framework.cloud_event
def deliver_webhook(cloud_event):
    # One message per delivery (no ordering key), so a subscriber that hangs holds up only this
    # invocation. A delivery no longer due (done, waiting for its retry, claimed elsewhere) is
    # left alone, so a redelivered message posts nothing twice.
    delivery_id = base64.b64decode(cloud_event.data["message"]["data"]).decode()
    delivery.deliver(bootstrap.services(), delivery_id)
