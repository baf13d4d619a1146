"""Scheduler-triggered: publish outbox events left behind by a crash between commit and publish."""
import functions_framework

from inventory import bootstrap
from inventory.service import outbox


@functions_framework.cloud_event
def outbox_relay(cloud_event):
    services = bootstrap.services()
    while outbox.relay_pending(services) == outbox.RELAY_BATCH:
        pass
