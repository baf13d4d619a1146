"""Cannlytics' item documents to our commands and back; pure, no I/O.

| Cannlytics | ours |
|---|---|
| `item_id` | `sku` and `product_id` (the item is found by its SKU in the organization) |
| `name` | `product_name` |
| `quantity` | a physical count (reason AUDIT) |
| `units` | `unit` (`each`, `g`, … or Metrc's `Each`, `Grams`, …) |
| `category_name` | `category` |
| `area_id` | `location_id`, or a location's `code` (default: the organization's first location) |
| `area_name` | `room_type` (`sales_floor`, `Sales Floor`, `vault`, …; default `sales_floor`) |
| the other twenty | the item's `attributes` |
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..domain.codes import RoomType, Unit
from ..domain.errors import FieldError, InvalidInput
from ..domain.models import InventoryItem
from ..domain.numbers import normalized
from ..http.errors import BadRequest
from .fields import FIELDS, FREE_FORM, empty, is_empty

DEFAULT_ROOM = RoomType.SALES_FLOOR
MAX_VALUE_LENGTH = 1000

# Our field names as Cannlytics calls them, to name the field a refusal is about.
THEIR_NAME = {"sku": "item_id", "product_id": "item_id", "product_name": "name",
              "quantity": "quantity", "unit": "units", "category": "category_name",
              "location_id": "area_id", "room_type": "area_name"}

UNIT_NAMES = {
    Unit.EACH: ("each", "ea", "unit", "units", "count", "countbased"),
    Unit.GRAM: ("g", "gram", "grams"),
    Unit.MILLIGRAM: ("mg", "milligram", "milligrams"),
    Unit.KILOGRAM: ("kg", "kilogram", "kilograms"),
    Unit.OUNCE: ("oz", "ounce", "ounces"),
    Unit.POUND: ("lb", "lbs", "pound", "pounds"),
    Unit.MILLILITRE: ("ml", "milliliter", "milliliters", "millilitre", "millilitres"),
}
_UNIT_BY_NAME = {name: unit for unit, names in UNIT_NAMES.items() for name in names}


@dataclass(frozen=True)
class ItemPost:
    """One posted Cannlytics item: what it says about our fields, and what it posted as such.

    A field left out is `None` here; a field posted empty (`'None'`, `''`, null) is in `cleared`.
    """

    item_id: str
    posted: dict[str, Any]
    name: str | None = None
    quantity: Decimal | None = None
    unit: Unit | None = None
    category: str | None = None
    location_id: str | None = None
    room_type: RoomType | None = None
    free_form: dict[str, str | None] = field(default_factory=dict)
    cleared: frozenset[str] = frozenset()


def parse_post(body: Any) -> ItemPost:
    """A POST body as an ItemPost, or a refusal naming the field (400 for shape, 422 for values)."""
    if not isinstance(body, dict):
        raise BadRequest("post one inventory item as a JSON object", "body", "invalid_body")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r}; an inventory item has the fields "
                         f"{', '.join(FIELDS)}", unknown[0], "unknown_field")
    for name, value in body.items():
        if value is not None and not isinstance(value, (str, int, Decimal)) or isinstance(value, bool):
            raise BadRequest(f"{name} must be a string", name, "not_a_string")
        if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            raise InvalidInput(f"{name} is longer than {MAX_VALUE_LENGTH} characters", name,
                               "too_long")
    item_id = body.get("item_id")
    if is_empty(item_id):
        raise BadRequest("item_id is required: it names the item to create or update", "item_id",
                         "item_id_required")
    text = {name: (None if is_empty(value) else str(value).strip()) for name, value in body.items()}
    cleared = frozenset(name for name, value in text.items() if value is None)
    if "name" in cleared:
        raise InvalidInput("name cannot be empty", "name", "name_required")
    return ItemPost(
        item_id=text["item_id"],
        posted=dict(body),
        name=text.get("name"),
        quantity=_quantity(text.get("quantity")),
        unit=_unit(text.get("units")),
        category=text.get("category_name"),
        location_id=text.get("area_id"),
        room_type=_room(text.get("area_name")),
        free_form={name: text[name] for name in FREE_FORM if name in text},
        cleared=cleared)


def parse_item_id(body: Any) -> str:
    """A DELETE body's `item_id`."""
    if not isinstance(body, dict) or is_empty(body.get("item_id")):
        raise BadRequest('send the item to delete as {"item_id": …}', "item_id",
                         "item_id_required")
    if not isinstance(body["item_id"], str):
        raise BadRequest("item_id must be a string", "item_id", "not_a_string")
    return body["item_id"].strip()


def render_item(item: InventoryItem, location_code: str | None = None) -> dict[str, str]:
    """Our item in Cannlytics' 27 fields, every value a string; `area_id` is its location's
    code where it has one, else the location id."""
    kept = item.attributes
    mapped = {
        "item_id": item.sku,
        "name": item.product_name,
        "quantity": str(normalized(item.quantity)),
        "units": item.unit.value,
        "category_name": item.category or empty("category_name"),
        "area_id": location_code or item.location_id,
        "area_name": item.room_type.value,
    }
    return {name: mapped[name] if name in mapped else _text(kept.get(name), name)
            for name in FIELDS}


def in_their_names(refusal: InvalidInput) -> InvalidInput:
    """A refusal of our command, naming the Cannlytics field instead of ours."""
    fields = [FieldError(THEIR_NAME.get(f.field, f.field), f.code, f.message)
              for f in refusal.fields or []]
    message = refusal.message
    for ours, theirs in THEIR_NAME.items():
        message = message.replace(f"{ours}:", f"{theirs}:")
    return InvalidInput(message, code=refusal.code, fields=fields)


def _text(value: Any, name: str) -> str:
    return empty(name) if is_empty(value) else str(value)


def _quantity(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        quantity = Decimal(value)
    except InvalidOperation:
        raise InvalidInput(f"quantity must be a number, not {value!r}", "quantity",
                           "invalid_quantity") from None
    if not quantity.is_finite() or quantity < 0:
        raise InvalidInput("quantity must be a count of zero or more", "quantity",
                           "invalid_quantity")
    return quantity


def _unit(value: str | None) -> Unit | None:
    if value is None:
        return None
    unit = _UNIT_BY_NAME.get(value.lower().replace(" ", ""))
    if unit is None:
        raise InvalidInput(f"units {value!r} is not one we count in: "
                           f"{', '.join(u.value for u in Unit)} (or Metrc's Each, Grams, …)",
                           "units", "unknown_unit")
    return unit


def _room(value: str | None) -> RoomType | None:
    if value is None:
        return None
    key = value.lower().replace(" ", "_").replace("-", "_")
    try:
        return RoomType(key)
    except ValueError:
        raise InvalidInput(f"area_name {value!r} is not a room: "
                           f"{', '.join(r.value for r in RoomType)}", "area_name",
                           "unknown_room") from None
