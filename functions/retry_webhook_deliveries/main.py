"""Scheduler-triggered: queue every webhook delivery whose retry time has come, one message each."""
import functions_framework

from inventory import bootstrap
from inventory.service import delivery


@functions_framework.cloud_event
def retry_webhook_deliveries(cloud_event):
    delivery.queue_due(bootstrap.services())
