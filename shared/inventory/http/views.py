"""How the native dialect shows each record: which fields a response hides is declared here,
once. A view renders a record (`show`) and is the model the OpenAPI document describes (`model`).
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, create_model

from ..domain.models import InventoryItem, LedgerEntry, Location
from ..domain.numbers import normalized
from ..domain.sync import PosConnection, SyncRun
from ..domain.time import format_instant
from ..domain.webhooks import Delivery, WebhookSubscription

if TYPE_CHECKING:  # for annotations only: a function that shows no snapshot never imports it
    from ..domain.models import Event
    from ..domain.snapshot import SettingEntry, Snapshot, SnapshotLine, SnapshotTotals

R = TypeVar("R", bound=BaseModel)


class Document(BaseModel):
    """A document the API sends (the OpenAPI document describes each)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    @classmethod
    def model_parametrized_name(cls, params: tuple[type[Any], ...]) -> str:
        return cls.__name__ + "".join(getattr(p, "__name__", str(p)) for p in params)


class View(Generic[R]):
    """A record as the API shows it: its fields less `hidden`, plus `added` ones, each given as
    (type, function of the record)."""

    def __init__(self, record: type[R], *hidden: str, name: str | None = None,
                 **added: tuple[type, Callable[[R], Any]]):
        self.record = record
        self.hidden = frozenset(hidden)
        self.added = added
        self.name = name or record.__name__

    def show(self, record: R) -> dict[str, Any]:
        body = record.model_dump(exclude=self.hidden)
        for field, (_, value_of) in self.added.items():
            body[field] = value_of(record)
        return body

    def show_all(self, records: Any) -> list[dict[str, Any]]:
        return [self.show(record) for record in records]

    @cached_property
    def model(self) -> type[BaseModel]:
        """The shown fields as a model of their own (the record itself when nothing changes)."""
        if not self.hidden and not self.added:
            return self.record
        fields: dict[str, Any] = {n: (f.annotation, f) for n, f in self.record.model_fields.items()
                                  if n not in self.hidden}
        fields.update({name: (kind, ...) for name, (kind, _) in self.added.items()})
        return create_model(self.name, __base__=Document, __doc__=self.record.__doc__, **fields)


ItemView = View(InventoryItem)
ChangeView = View(LedgerEntry)
LocationView = View(Location, "organization_id", name="LocationView")
SubscriptionView = View(WebhookSubscription, "organization_id", "secret", name="Subscription")
# At creation and on rotation only: the signing secret, shown once.
SubscriptionWithSecretView = View(WebhookSubscription, "organization_id",
                                  name="SubscriptionWithSecret")
DeliveryView = View(Delivery, "organization_id", "lease_until", name="DeliveryView")
SyncRunView = View(SyncRun, "organization_id", name="SyncRunView")
# The POS secret (a token or key) is write-only: a client sees only whether one is set.
PosConnectionView = View(PosConnection, "organization_id", "secret", name="PosConnectionView",
                         has_secret=(bool, lambda connection: connection.secret is not None))


def show_event(event: Event) -> dict[str, Any]:
    """An event as the feed shows it: the Standard Webhooks payload a webhook carries, and its id."""
    return {"id": event.id, **event.envelope()}


def show_snapshot(snapshot: Snapshot) -> dict[str, Any]:
    revised_at = snapshot.page.totals.revised_at
    return {"location_id": snapshot.location_id, "as_of": format_instant(snapshot.as_of),
            "revised_at": None if revised_at is None else format_instant(revised_at),
            "items": [_snapshot_line(line) for line in snapshot.page.lines],
            "totals": _snapshot_totals(snapshot.page.totals)}


def _setting_entry(entry: SettingEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {"id": entry.id, "occurred_at": format_instant(entry.occurred_at),
            "recorded_at": format_instant(entry.recorded_at),
            "revised_at": None if entry.revised_at is None else format_instant(entry.revised_at)}


def _snapshot_line(line: SnapshotLine) -> dict[str, Any]:
    item = line.item
    return {"id": item.id, "product_id": item.product_id, "product_name": item.product_name,
            "sku": item.sku, "room_type": item.room_type.value,
            "quantity": normalized(line.quantity),
            "reserved_quantity": normalized(item.reserved_quantity),
            "unit_cost": None if item.unit_cost is None else normalized(item.unit_cost),
            "value": line.value, "attributes": dict(item.attributes),
            "change": _setting_entry(line.entry)}


def _snapshot_totals(totals: SnapshotTotals) -> dict[str, Any]:
    return {"items": totals.items, "quantity": normalized(totals.quantity),
            "value": normalized(totals.value)}
