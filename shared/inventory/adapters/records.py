"""Records to stored rows and documents and back: decimals as scaled integers, enums as their
values, instants as fixed-width ISO text, JSON as text. Shared by the SQLite and Firestore stores."""
from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

from ..domain import wire
from ..domain.models import ApiKey, Event, InventoryItem, LedgerEntry
from ..domain.sync import PosConnection, SyncRun
from ..domain.webhooks import WebhookSubscription
from ..domain.numbers import MONEY_PLACES, QUANTITY_PLACES, from_scaled_int, to_scaled_int

M = TypeVar("M", bound=BaseModel)

_Q, _M = QUANTITY_PLACES, MONEY_PLACES
SCALES: dict[type, dict[str, int]] = {
    InventoryItem: {"quantity": _Q, "reserved_quantity": _Q, "low_stock_threshold": _Q,
                    "unit_cost": _M, "unit_price": _M},
    LedgerEntry: {"quantity_change": _Q, "quantity_before": _Q, "quantity_after": _Q},
}
JSON_FIELDS: dict[type, tuple[str, ...]] = {ApiKey: ("scopes",), Event: ("data",),
                                           WebhookSubscription: ("events",),
                                           PosConnection: ("settings",), SyncRun: ("summary",)}


def to_row(record: BaseModel) -> dict[str, Any]:
    model = type(record)
    scales = SCALES.get(model, {})
    json_fields = JSON_FIELDS.get(model, ())
    row: dict[str, Any] = {}
    for name, value in record.model_dump(exclude=set(model.model_computed_fields)).items():
        if name in json_fields:
            value = wire.dumps(value)
        elif isinstance(value, Decimal):
            value = to_scaled_int(value, scales[name])
        elif isinstance(value, Enum):
            value = value.value
        row[name] = value
    if isinstance(record, InventoryItem):
        row["low_stock"] = int(record.low_stock)
    return row


def from_row(model: type[M], row: Any) -> M:
    scales = SCALES.get(model, {})
    json_fields = JSON_FIELDS.get(model, ())
    values = {}
    for name in model.model_fields:
        value = row[name]
        if value is not None:
            if name in json_fields:
                value = wire.loads(value)
            elif name in scales:
                value = from_scaled_int(value, scales[name])
        values[name] = value
    return model.model_validate(values)
