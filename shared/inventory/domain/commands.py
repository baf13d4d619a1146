"""What callers ask for: request bodies and query parameters, validated before any store is touched."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .freeform_attributes import AttributesPatch, check_size
from .codes import ReasonCode, RoomType, Unit
from .errors import RuleBroken
from .numbers import Money, Quantity
from .time import Instant, TimeZoneName
from .webhooks import FORMAT_EVENT_TYPES, WebhookFormat

MAX_BULK_UPDATES = 500



Name = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]
Notes = Annotated[str, Field(max_length=1000)]
ResourceId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
_RESOURCE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A location's own code has an id's shape, so every field that takes a location id takes it too.
LocationCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                    description="The client's own name for the location (a Square "
                                    "location id, a shop number), unique in the organization.")]
LocationRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                   description="A location's id or its code; an id wins over a "
                                   "code with the same text.")]


def is_resource_id(value: object) -> bool:
    """Whether `value` has the shape of a ResourceId (for ids read back from an opaque cursor)."""
    return isinstance(value, str) and _RESOURCE_ID.fullmatch(value) is not None
NonNegativeQuantity = Annotated[Quantity, Field(ge=0)]
NonNegativeMoney = Annotated[Money, Field(ge=0)]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    # Accepted so a caller may name its own organization; any other one is refused.
    organization_id: ResourceId | None = None


SquareRoomType = Annotated[RoomType, Field(description=(
    "The room whose items are the location's stock in Square's dialect (/v2/inventory): its "
    "counts and changes; items in the other rooms are not Square's."))]


class CreateLocation(Command):
    name: Name
    time_zone: TimeZoneName
    code: LocationCode | None = None
    square_room_type: SquareRoomType = RoomType.SALES_FLOOR


class UpdateLocation(Command):
    """PATCH a location: the settings that may change after it is created."""

    square_room_type: SquareRoomType


class CreateItem(Command):
    product_id: Code
    product_name: Name
    sku: Code
    location_id: LocationRef
    room_type: RoomType
    category: Code | None = None
    unit: Unit = Unit.EACH
    quantity: NonNegativeQuantity = Decimal(0)
    reserved_quantity: NonNegativeQuantity = Decimal(0)
    low_stock_threshold: NonNegativeQuantity | None = None
    unit_cost: NonNegativeMoney | None = None
    unit_price: NonNegativeMoney | None = None
    notes: Notes | None = None
    attributes: AttributesPatch = Field(default_factory=dict)
    # When the opening quantity was there: the item exists from then; now without it.
    occurred_at: Instant | None = None

    @property
    def item_attributes(self) -> dict:
        """The attributes the new item holds (a key sent as null is left out)."""
        return {key: value for key, value in self.attributes.items() if value is not None}

    @model_validator(mode="after")
    def _reserved_within_quantity(self) -> "CreateItem":
        try:
            check_size(self.item_attributes)
        except RuleBroken as refusal:
            raise RuleBroken("attributes", str(refusal), refusal.code) from None
        if self.reserved_quantity > self.quantity:
            raise RuleBroken("reserved_quantity", "reserved_quantity cannot exceed quantity")
        if self.occurred_at is not None and self.quantity == 0:
            raise RuleBroken("occurred_at", "occurred_at dates the opening quantity; send a "
                             "quantity above 0", "missing")
        if self.unit is Unit.EACH:
            for name in ("quantity", "reserved_quantity", "low_stock_threshold"):
                value = getattr(self, name)
                if value is not None and value != value.to_integral_value():
                    raise RuleBroken(name, f"{name} of an item counted in units must be a whole number",
                                     "fractional_quantity_for_unit")
        return self


class QuantityUpdate(Command):
    """A change by `quantity_change` with a reason, or a physical count as `quantity` (AUDIT)."""

    quantity_change: Quantity | None = None
    quantity: NonNegativeQuantity | None = None
    reason_code: ReasonCode | None = None
    notes: Notes | None = None
    occurred_at: Instant | None = None  # when it happened; now without it

    @model_validator(mode="after")
    def _one_kind_of_change(self) -> "QuantityUpdate":
        if self.occurred_at is not None and self.quantity_change is None and self.quantity is None:
            raise RuleBroken("occurred_at", "occurred_at dates a quantity_change or a quantity", "missing")
        if self.quantity_change is not None and self.quantity is not None:
            raise RuleBroken("quantity", "send either quantity_change or quantity (a count), not both")
        if self.quantity_change is not None and self.reason_code is None:
            raise RuleBroken("reason_code", "reason_code is required with quantity_change", "missing")
        if self.quantity is not None and self.reason_code not in (None, ReasonCode.AUDIT):
            raise RuleBroken("reason_code", "a counted quantity is recorded with reason_code AUDIT")
        if self.quantity_change is None and self.quantity is None and self.reason_code is not None:
            raise RuleBroken("quantity_change", "reason_code needs quantity_change or quantity", "missing")
        return self

    @property
    def changes_quantity(self) -> bool:
        return self.quantity_change is not None or self.quantity is not None

    @property
    def reason(self) -> ReasonCode:
        return self.reason_code or ReasonCode.AUDIT


class UpdateItem(QuantityUpdate):
    """PATCH body: a quantity change or count, and/or attributes that never touch quantity."""

    product_name: Name | None = None
    category: Code | None = None
    unit_cost: NonNegativeMoney | None = None
    unit_price: NonNegativeMoney | None = None
    low_stock_threshold: NonNegativeQuantity | None = None
    reserved_quantity: NonNegativeQuantity | None = None
    attributes: AttributesPatch | None = Field(None, description=(
        "Attributes merged into the item's (a JSON merge patch): a key set to null is removed, "
        "keys not named are kept; `null` for the whole object removes every attribute."))

    @model_validator(mode="after")
    def _something_to_do(self) -> "UpdateItem":
        if not (self.model_fields_set - {"organization_id", "notes"}):
            raise RuleBroken("quantity_change", "nothing to update: send quantity_change, quantity or an attribute", "missing")
        if "product_name" in self.model_fields_set and self.product_name is None:
            raise RuleBroken("product_name", "product_name cannot be cleared")
        if "reserved_quantity" in self.model_fields_set and self.reserved_quantity is None:
            raise RuleBroken("reserved_quantity", "reserved_quantity cannot be cleared; set it to 0")
        return self

    def attribute_changes(self) -> dict:
        """Attributes the caller set, including an explicit null that clears one."""
        names = ("product_name", "category", "unit_cost", "unit_price", "low_stock_threshold",
                 "reserved_quantity")
        return {name: getattr(self, name) for name in names if name in self.model_fields_set}


class BulkLine(QuantityUpdate):
    id: ResourceId

    @model_validator(mode="after")
    def _has_change(self) -> "BulkLine":
        if not self.changes_quantity:
            raise RuleBroken("quantity_change", "each update needs quantity_change with reason_code, or quantity", "missing")
        return self


class BulkUpdate(Command):
    updates: Annotated[list[BulkLine], Field(min_length=1, max_length=MAX_BULK_UPDATES)]


class Transfer(Command):
    """Move stock from an item to another room and/or location, as two TRANSFER entries."""

    from_item_id: ResourceId
    to_location_id: LocationRef | None = None
    to_room_type: RoomType | None = None
    quantity: Annotated[Quantity, Field(gt=0)]
    notes: Notes | None = None
    occurred_at: Instant | None = None  # when the stock moved; now without it

    @model_validator(mode="after")
    def _goes_somewhere(self) -> "Transfer":
        if self.to_location_id is None and self.to_room_type is None:
            raise RuleBroken("to_room_type", "name to_location_id, to_room_type or both", "missing")
        return self


class ListInventory(Command):
    location_id: LocationRef | None = None
    room_type: RoomType | None = None
    category: Code | None = None
    sku: Annotated[Code | None, Field(description="Items with exactly this SKU (case and all).")] = None
    product_id: Annotated[Code | None, Field(description="Items of exactly this product.")] = None
    low_stock: bool | None = None
    updated_after: Instant | None = None
    page: Annotated[int, Field(ge=1, le=1_000_000, description=(
        "Page number (an offset, which reads every item it skips); prefer `cursor` to walk "
        "far. Not with `cursor`."))] = 1
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = Field(None, description=(
        "`pagination.next_cursor` of the page before: resumes after its last item (in id "
        "order) without reading the items before it."))

    @model_validator(mode="after")
    def _cursor_or_page(self) -> "ListInventory":
        if self.cursor is not None and self.page != 1:
            raise RuleBroken("cursor", "send either cursor or page, not both: a cursor already "
                             "says where the page starts", "cursor_with_page")
        return self


class ListChanges(Command):
    cursor: Annotated[str, Field(max_length=200)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class ListLocations(Command):
    pass


class CreateSubscription(Command):
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    events: Annotated[list[str], Field(min_length=1, max_length=10)]
    description: Annotated[str, Field(max_length=500)] | None = None
    format: WebhookFormat = Field(WebhookFormat.NATIVE, description=(
        "`native` (Standard Webhooks) or `square` (Square's notifications and signature); "
        "`events` are named as the format names them."))

    @model_validator(mode="after")
    def _known_events(self) -> "CreateSubscription":
        names = FORMAT_EVENT_TYPES[self.format]
        for index, name in enumerate(self.events):
            if name == "*" or name in names:
                continue
            carried_by = [f.value for f, known in FORMAT_EVENT_TYPES.items() if name in known]
            if carried_by:  # a type of ours another format carries, or one in another's names
                raise RuleBroken(f"events[{index}]", f"{name!r} is not sent in the "
                                 f"{self.format.value} format, which sends {', '.join(names)}; "
                                 f"{name!r} needs format {' or '.join(carried_by)}",
                                 "event_type_not_in_format")
            raise RuleBroken(f"events[{index}]", f"unknown event type {name!r}; use one of "
                             f"{', '.join(names)} or *", "unknown_event_type")
        return self


class ListDeliveries(Command):
    cursor: Annotated[str, Field(max_length=200)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class ListEvents(Command):
    after: Annotated[str, Field(max_length=200)] | None = None
    type: Annotated[str, Field(max_length=200)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50

    @model_validator(mode="after")
    def _known_types(self) -> "ListEvents":
        from .events import EVENT_TYPES
        for name in self.types:
            if name not in EVENT_TYPES:
                raise RuleBroken("type", f"unknown event type {name!r}", "unknown_event_type")
        return self

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(t for t in (self.type or "").split(",") if t)


class RequestSync(Command):
    location_id: LocationRef
    sync_type: Literal["full", "incremental"]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REGION = re.compile(r"(?![0-9]+\Z)(?!-)[A-Za-z0-9-]{1,63}(?<!-)")  # a host label, as the AWS SDK asks


class SetPosConnection(Command):
    """A location's POS: `file` {path}, `http` {base_url} + token, `s3` {bucket, prefix?, endpoint_url?, region?} + secret."""

    kind: Literal["file", "http", "s3"]
    settings: Annotated[dict[Annotated[str, Field(max_length=50)], Annotated[str, Field(max_length=2000)]],
                        Field(max_length=10)]
    secret: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    archive_missing: bool = False

    @model_validator(mode="after")
    def _needed_settings(self) -> "SetPosConnection":
        needed = {"file": ("path",), "http": ("base_url",), "s3": ("bucket",)}[self.kind]
        for name in needed:
            if not self.settings.get(name):
                raise RuleBroken(f"settings.{name}", f"a {self.kind} connection needs settings.{name}",
                                 "missing")
        if self.kind == "http" and not self.settings["base_url"].startswith(("https://", "http://")):
            raise RuleBroken("settings.base_url", "base_url must be an http(s) URL", "invalid_url")
        if self.kind == "file" and _CONTROL.search(self.settings["path"]):
            raise RuleBroken("settings.path", "path must not contain control characters (NUL, newline…)",
                             "invalid_path")
        region = self.settings.get("region")
        if self.kind == "s3" and region and not _REGION.fullmatch(region):
            raise RuleBroken("settings.region", "region must be a region name such as us-east-1",
                             "invalid_region")
        return self

