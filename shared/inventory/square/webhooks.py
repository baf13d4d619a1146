"""Square-format webhooks: `inventory.count.updated` notifications in Square's payload, signed as
Square signs them (README, "Square's Inventory API v2", "Webhooks").

A subscription in this format is sent each `inventory.updated` event of an item in its location's
Square room (the sales floor unless the location names another) — the item Square's counts
show — as the item's counts after the change, mapped as the dialect maps
counts (mapping.square_counts), each location named by its code where it has one. The signature,
`x-square-hmacsha256-signature`, is base64(HMAC-SHA256(signature key, notification URL + body)),
what Square's SDKs check with `square.utils.webhooks_helper.verify_signature`.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from ..domain import wire
from ..domain.codes import RoomType
from ..domain.events import INVENTORY_UPDATED
from ..domain.models import Event, InventoryItem
from ..domain.time import format_instant
from ..domain.webhooks import SQUARE_COUNT_UPDATED, WebhookSubscription
from ..service.ports import InventoryStore, SignedRequest, Transaction
from .mapping import square_counts

SIGNATURE_HEADER = "x-square-hmacsha256-signature"


def signature(signature_key: str, notification_url: str, body: str) -> str:
    """Square's signature of a notification: base64 HMAC-SHA256 of the URL followed by the body."""
    digest = hmac.new(signature_key.encode(), (notification_url + body).encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def event_item(event: Event) -> InventoryItem:
    """The item an `inventory.updated` event carries, as it was after the change."""
    shown = event.data["item"]
    return InventoryItem.model_validate({name: shown[name] for name in InventoryItem.model_fields
                                         if name in shown})


def count_updated(event: Event, item: InventoryItem, location_code: str | None) -> dict:
    """Square's `inventory.count.updated` notification for an event of ours about `item`."""
    counts = square_counts(item)
    if location_code:
        counts = [{**count, "location_id": location_code} for count in counts]
    return {"merchant_id": event.organization_id, "type": SQUARE_COUNT_UPDATED,
            "event_id": event.id, "created_at": format_instant(event.occurred_at),
            "data": {"type": "inventory", "id": item.id,
                     "object": {"inventory_counts": counts}}}


class SquareWebhooks:
    """The renderer of subscriptions whose format is `square`."""

    def new_secret(self) -> str:
        """A signature key, used as its text (as Square's SDKs use theirs)."""
        return secrets.token_urlsafe(32)

    def carries(self, event: Event, tx: Transaction) -> bool:
        """An `inventory.updated` of an item in its location's Square room (one read: the location)."""
        if event.type != INVENTORY_UPDATED:
            return False
        item = event.data["item"]
        location = tx.get_location(event.organization_id, item["location_id"])
        room = location.square_room_type if location is not None else RoomType.SALES_FLOOR
        return item["room_type"] == room.value

    def render(self, store: InventoryStore, event: Event, subscription: WebhookSubscription,
               sent_at: datetime) -> SignedRequest:
        item = event_item(event)
        location = store.get_location(item.organization_id, item.location_id)
        body = wire.dumps(count_updated(event, item, location.code if location else None))
        return SignedRequest({SIGNATURE_HEADER: signature(subscription.secret, subscription.url, body),
                              "content-type": "application/json"}, body)
