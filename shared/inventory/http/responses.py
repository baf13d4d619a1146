"""The documents the routes send, as pydantic models: what the OpenAPI document promises.

The handlers render with `render.py` and `replies.py` through the views (views.py), which declare
the fields each record hides; these models describe the same shapes (envelopes, the views'
models, composite results) so that the spec is generated, never written by hand. The fuzz test
checks every response against them.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import WithJsonSchema

from ..domain.freeform_attributes import Attributes
from ..domain.codes import RoomType
from ..domain.models import InventoryItem, LedgerEntry
from ..domain.numbers import Money, Quantity
from ..domain.time import Instant
from . import views
from .views import Document

T = TypeVar("T")
# A computed amount (quantity times cost): exact, but with as many places as the product needs.
Amount = Annotated[Decimal, WithJsonSchema({"type": "number"})]


class One(Document, Generic[T]):
    data: T


class Listing(Document, Generic[T]):
    data: list[T]


class PagePagination(Document):
    """`page` is null on a page asked for by `cursor`; `next_cursor` resumes after the last
    item (null on the last page), whichever way the page was asked for."""
    page: int | None
    limit: int
    total: int
    next_cursor: str | None
    has_more: bool


class Page(Document, Generic[T]):
    data: list[T]
    pagination: PagePagination


class CursorPagination(Document):
    limit: int
    next_cursor: str | None
    has_more: bool


class CursorPage(Document, Generic[T]):
    data: list[T]
    pagination: CursorPagination


class FieldProblem(Document):
    field: str
    code: str
    message: str


class ErrorBody(Document):
    code: str
    message: str
    request_id: str
    fields: list[FieldProblem] | None = None
    change_id: str | None = None  # backdated_conflict: the first ledger entry it would break


class ErrorEnvelope(Document):
    """Every refusal: a machine-readable code, a message, the request id and the offending fields."""
    error: ErrorBody


LocationView = views.LocationView.model
SubscriptionView = views.SubscriptionView.model
SubscriptionWithSecret = views.SubscriptionWithSecretView.model
DeliveryView = views.DeliveryView.model
SyncRunView = views.SyncRunView.model
PosConnectionView = views.PosConnectionView.model


class ItemUpdated(Document):
    """The item after a PATCH, and the ledger entry when its quantity changed."""
    data: InventoryItem
    change: LedgerEntry | None = None


class BulkUpdated(Document):
    """Each item touched (once, in request order) and every ledger entry written."""
    data: list[InventoryItem]
    changes: list[LedgerEntry]


class TransferResult(Document):
    transfer_id: str
    quantity: Quantity
    from_item: InventoryItem
    to_item: InventoryItem
    changes: list[LedgerEntry]


class EventView(Document):
    """One event as the feed and webhooks carry it (Standard Webhooks payload plus its id)."""
    id: str
    type: str
    timestamp: Instant
    data: dict[str, Any]


class SettingChangeView(Document):
    """The ledger entry that sets an item's quantity at the snapshot's instant: when it happened,
    when it was recorded, and when a late change last re-derived it (null: never)."""
    id: str
    occurred_at: Instant
    recorded_at: Instant
    revised_at: Instant | None


class SnapshotLineView(Document):
    id: str
    product_id: str
    product_name: str
    sku: str
    room_type: RoomType
    quantity: Quantity
    reserved_quantity: Quantity
    unit_cost: Money | None
    value: Amount | None  # quantity times unit cost
    attributes: Attributes  # the item's current ones (attributes are not in the ledger)
    change: SettingChangeView | None  # null: no entry at or before the instant (quantity 0)


class SnapshotTotalsView(Document):
    items: int
    quantity: Quantity
    value: Amount


class SnapshotView(Document):
    location_id: str
    as_of: Instant
    # The latest instant after as_of at which a quantity it reports was written (a late change,
    # or a re-derivation of the entry setting it); null when all were known by as_of.
    revised_at: Instant | None
    items: list[SnapshotLineView]
    totals: SnapshotTotalsView


class SnapshotPage(Document):
    data: SnapshotView
    pagination: CursorPagination


# The envelopes the routes name, parametrised here once: pydantic registers a parametrised model
# in the module that creates it, and function modules are loaded under names of their own.
ItemDocument = One[InventoryItem]
ItemPage = Page[InventoryItem]
ChangePage = CursorPage[LedgerEntry]
EventPage = CursorPage[EventView]
LocationList = Listing[LocationView]
LocationDocument = One[LocationView]
PosConnectionDocument = One[PosConnectionView]
SubscriptionList = Listing[SubscriptionView]
SubscriptionDocument = One[SubscriptionView]
NewSubscriptionDocument = One[SubscriptionWithSecret]
DeliveryPage = CursorPage[DeliveryView]
DeliveryDocument = One[DeliveryView]
SyncRunDocument = One[SyncRunView]
TransferDocument = One[TransferResult]
