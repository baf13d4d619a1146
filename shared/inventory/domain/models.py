"""The records the service keeps: organizations, keys, locations, items, ledger entries, events."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from .freeform_attributes import Attributes
from .codes import ChangeSource, ReasonCode, RoomType, Scope, Unit
from .numbers import Money, Quantity
from .time import Instant, TimeZoneName


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Organization(Record):
    id: str
    name: str
    created_at: Instant
    # Refuse writes sent without an Idempotency-Key (400), for integrators who want every write
    # exactly once; by default a keyless write is applied once per request.
    require_idempotency_key: bool = False
    # How far back a change's `occurred_at` may reach (domain.ledger.check_occurred_at).
    backdating_window_days: int = 35


class ApiKey(Record):
    """A key is stored as the SHA-256 of its secret; the secret itself is shown once."""

    id: str
    organization_id: str
    name: str
    key_hash: str
    scopes: tuple[Scope, ...]
    created_at: Instant
    revoked_at: Instant | None = None


class Location(Record):
    id: str
    organization_id: str
    name: str
    # The client's own name for the location (a Square location id, a shop number), unique in
    # its organization; accepted wherever a location id is (service.locations.resolve_location).
    code: str | None = None
    time_zone: TimeZoneName
    created_at: Instant
    # The room whose items are the location's stock in Square's dialect (square/mapping.py).
    square_room_type: RoomType = RoomType.SALES_FLOOR


class InventoryItem(Record):
    id: str
    organization_id: str
    product_id: str
    product_name: str
    sku: str
    location_id: str
    room_type: RoomType
    category: str | None = None
    unit: Unit = Unit.EACH
    quantity: Quantity
    reserved_quantity: Quantity = Decimal(0)
    low_stock_threshold: Quantity | None = None
    unit_cost: Money | None = None
    unit_price: Money | None = None
    last_sync: Instant | None = None
    archived_at: Instant | None = None
    created_at: Instant
    updated_at: Instant
    version: int
    attributes: Attributes = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def available_quantity(self) -> Quantity:
        return self.quantity - self.reserved_quantity

    @computed_field  # type: ignore[prop-decorator]
    @property
    def low_stock(self) -> bool:
        """Available quantity is below the item's threshold."""
        return self.low_stock_threshold is not None and self.available_quantity < self.low_stock_threshold


class LedgerEntry(Record):
    """One quantity change; an item's quantity is the sum of its entries. An item's ledger is
    ordered by (occurred_at, item_version): when the change happened, then recording order. A
    change recorded late (occurred_at before later entries) re-derives the later entries'
    quantities (domain.ledger.place_change) and stamps each with `revised_at` and `revised_by`;
    nothing else of an entry ever changes."""

    id: str
    organization_id: str
    item_id: str
    location_id: str
    quantity_change: Quantity
    quantity_before: Quantity
    quantity_after: Quantity
    reason_code: ReasonCode
    notes: str | None = None
    source: ChangeSource
    api_key_id: str | None = None
    idempotency_key: str | None = None
    transfer_id: str | None = None
    sync_id: str | None = None
    item_version: int
    occurred_at: Instant   # when the change happened
    recorded_at: Instant   # when we learnt of it
    # The quantity a physical count found: the entry's change is re-derived as counted - before.
    counted_quantity: Quantity | None = None
    # The last late change that re-derived this entry: its recorded_at and its id (None: never).
    revised_at: Instant | None = None
    revised_by: str | None = None
    # The client's own names for the change, kept as sent (domain.ledger.ClientReference).
    reference_id: str | None = None
    team_member_id: str | None = None
    source_application: dict[str, str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _recorded_when_it_happened(cls, data: Any) -> Any:
        """Entries written before effective time was kept were recorded when they happened."""
        if isinstance(data, dict) and data.get("recorded_at") is None and "occurred_at" in data:
            data = {**data, "recorded_at": data["occurred_at"]}
        return data


class Event(Record):
    """An outbox row: written with the change, published after commit, never lost."""

    id: str
    organization_id: str
    type: str
    subject_id: str  # the item id: Pub/Sub ordering key
    occurred_at: Instant
    data: dict[str, Any]

    def envelope(self) -> dict[str, Any]:
        """The Standard Webhooks payload `{type, timestamp, data}`."""
        return {"type": self.type, "timestamp": self.model_dump()["occurred_at"], "data": self.data}


class IdempotencyRecord(Record):
    """The first response to a mutating request, replayed for a retry by the same API key with
    the same Idempotency-Key until `expires_at`; after it the key names a new request, and the
    store may delete the record. A body that holds a secret is stored sealed."""

    organization_id: str
    api_key_id: str
    key: str
    fingerprint: str
    status: int
    body: str
    holds_secret: bool = False
    created_at: Instant
    expires_at: Instant
