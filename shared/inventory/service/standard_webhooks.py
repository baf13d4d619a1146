"""The native webhook format, Standard Webhooks: the event's envelope, signed with a whsec_ secret.
Other formats (Square's: square/webhooks.py) are handed to the service by the composition root."""
from __future__ import annotations

from datetime import datetime

from ..domain import wire
from ..domain.models import Event
from ..domain.signing import new_secret, signed_headers
from ..domain.webhooks import WebhookSubscription
from .ports import InventoryStore, SignedRequest, Transaction


class StandardWebhooks:
    """`{"type", "timestamp", "data"}` with `webhook-id`, `webhook-timestamp`, `webhook-signature`."""

    def new_secret(self) -> str:
        return new_secret()

    def carries(self, event: Event, tx: Transaction) -> bool:
        return True

    def render(self, store: InventoryStore, event: Event, subscription: WebhookSubscription,
               sent_at: datetime) -> SignedRequest:
        body = wire.dumps(event.envelope())
        return SignedRequest(signed_headers(subscription.secret, event.id, int(sent_at.timestamp()),
                                            body), body)
