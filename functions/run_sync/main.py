"""Pub/Sub-triggered: work one queued sync run against its location's POS."""
import base64

import functions_framework

from inventory import bootstrap
from inventory.service import sync


@functions_framework.cloud_event
def run_sync(cloud_event):
    sync_id = base64.b64decode(cloud_event.data["message"]["data"]).decode()
    sync.run_sync(bootstrap.services(), sync_id)  # a run no longer queued is left alone
