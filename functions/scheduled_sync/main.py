"""Scheduler-triggered: queue a sync for every location with a POS (the message says full or incremental)."""
import base64

import functions_framework

from inventory import bootstrap
from inventory.domain.sync import SyncType
from inventory.service import sync


@functions_framework.cloud_event
def scheduled_sync(cloud_event):
    payload = base64.b64decode(cloud_event.data["message"].get("data") or b"").decode().strip()
    sync.schedule_syncs(bootstrap.services(), SyncType(payload or "incremental"))
