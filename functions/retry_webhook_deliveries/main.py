"""Scheduler-triggered: attempt every webhook delivery whose retry time has come."""
import functions_framework

from inventory import bootstrap
from inventory.service import delivery


@functions_framework.cloud_event
def retry_webhook_deliveries(cloud_event):
    delivery.deliver_due(bootstrap.services())
