"""Records to stored rows and documents and back: decimals as scaled integers, enums as their
values, instants as fixed-width ISO text, JSON as text. Shared by the SQLite and Firestore stores.

A stored row was a validated record when it was written, so reading it back does not validate it
again: each field is decoded by a converter worked out once from the record's annotations, and the
record is built as `model_construct` builds one. A record with a field no converter covers (a
nested model) takes the validating path both ways.
"""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any, Callable, TypeVar

from pydantic import BaseModel, PlainSerializer

from ..domain import wire
from ..domain.freeform_attributes import attributes_from_json
from ..domain.models import ApiKey, Event, IdempotencyRecord, InventoryItem, LedgerEntry
from ..domain.sync import PosConnection, SyncRun
from ..domain.webhooks import WebhookSubscription
from ..domain.numbers import MONEY_PLACES, QUANTITY_PLACES, from_scaled_int, to_scaled_int
from ..domain.time import format_instant, parse_instant
from ..service.ports import SecretBox
from .secret_box import CONTEXT_SEPARATOR, NO_SECRET_BOX

M = TypeVar("M", bound=BaseModel)

_Q, _M = QUANTITY_PLACES, MONEY_PLACES
SCALES: dict[type, dict[str, int]] = {
    InventoryItem: {"quantity": _Q, "reserved_quantity": _Q, "low_stock_threshold": _Q,
                    "unit_cost": _M, "unit_price": _M},
    LedgerEntry: {"quantity_change": _Q, "quantity_before": _Q, "quantity_after": _Q,
                  "counted_quantity": _Q},
}
JSON_FIELDS: dict[type, tuple[str, ...]] = {ApiKey: ("scopes",), Event: ("data",),
                                           InventoryItem: ("attributes",),
                                           LedgerEntry: ("source_application",),
                                           WebhookSubscription: ("events",),
                                           PosConnection: ("settings",), SyncRun: ("summary",)}

# JSON fields read back by a decoder of their own (attributes keep every number a Decimal).
JSON_DECODERS: dict[tuple[type, str], Callable[[str], Any]] = {
    (InventoryItem, "attributes"): attributes_from_json}


# -- secrets: sealed in the stored row, open in the record -------------------------------------
@dataclass(frozen=True)
class SealedField:
    name: str  # what the value is; part of its context, so never renamed
    field: str
    identity: tuple[str, ...]  # the fields that name the record holding it
    only_if: str | None = None  # a boolean field: the value is sealed only when it is true


SEALED: dict[type, SealedField] = {
    WebhookSubscription: SealedField("webhook_subscription.secret", "secret", ("organization_id", "id")),
    PosConnection: SealedField("pos_connection.secret", "secret", ("organization_id", "location_id")),
    IdempotencyRecord: SealedField("idempotency.body", "body", ("organization_id", "api_key_id", "key"),
                                   only_if="holds_secret"),
}


class SealedRecords:
    """Rows for the records that hold a secret (SEALED): the secret sealed by the box in the row,
    opened again in the record. Every other record goes through to_row and from_row as it is."""

    def __init__(self, box: SecretBox):
        self.box = box

    def to_row(self, record: BaseModel) -> dict[str, Any]:
        row = to_row(record)
        spec = SEALED.get(type(record))
        if spec is not None and _holds_secret(spec, row):
            row[spec.field] = self.box.seal(row[spec.field], _context(spec, row))
        return row

    def from_row(self, model: type[M], row: Any) -> M:
        spec = SEALED.get(model)
        if spec is not None and _holds_secret(spec, row):
            row = dict(row)
            row[spec.field] = self.box.open(row[spec.field], _context(spec, row))
        return from_row(model, row)

    def resealed(self, model: type[BaseModel], row: Any) -> tuple[str, str] | None:
        """(field, value sealed under the current key) for a stored row whose secret is sealed
        under an older key or not at all; None when there is nothing to do."""
        spec = SEALED[model]
        if not _holds_secret(spec, row) or self.box.is_current(row[spec.field]):
            return None
        context = _context(spec, row)
        return spec.field, self.box.seal(self.box.open(row[spec.field], context), context)


NO_SECRETS = SealedRecords(NO_SECRET_BOX)  # refuses to store or read a sealed secret


def _holds_secret(spec: SealedField, row: Any) -> bool:
    return row[spec.field] is not None and (spec.only_if is None or bool(row[spec.only_if]))


def _context(spec: SealedField, row: Any) -> str:
    return CONTEXT_SEPARATOR.join((spec.name, *(str(row[name]) for name in spec.identity)))


def to_row(record: BaseModel) -> dict[str, Any]:
    codec = _codec(type(record))
    if codec is None:
        return _to_row_validated(record)
    values = record.__dict__
    row = {}
    for name, encode, _ in codec:
        value = values[name]
        row[name] = value if encode is None or value is None else encode(value)
    if isinstance(record, InventoryItem):
        row["low_stock"] = int(record.low_stock)
    return row


def from_row(model: type[M], row: Any) -> M:
    codec = _codec(model)
    if codec is None:
        return _from_row_validated(model, row)
    values = {}
    for name, _, decode in codec:
        value = row[name]
        values[name] = value if decode is None or value is None else decode(value)
    return _construct(model, values)


def _construct(model: type[M], values: dict[str, Any]) -> M:
    """`model.model_construct(**values)` for a record given every field: the same instance,
    without its per-field search for aliases and defaults (no record here has either)."""
    record = model.__new__(model)
    _set(record, "__dict__", values)
    _set(record, "__pydantic_fields_set__", set(values))
    _set(record, "__pydantic_extra__", None)
    _set(record, "__pydantic_private__", None)
    return record


_set = object.__setattr__


# -- the validating path: records with a field no converter covers ----------------------------
def _to_row_validated(record: BaseModel) -> dict[str, Any]:
    model = type(record)
    scales = SCALES.get(model, {})
    json_fields = JSON_FIELDS.get(model, ())
    row: dict[str, Any] = {}
    for name, value in record.model_dump(exclude=set(model.model_computed_fields)).items():
        if name in json_fields and value is not None:  # an optional JSON field left out is NULL
            value = wire.dumps(value)
        elif isinstance(value, Decimal):
            value = to_scaled_int(value, scales[name])
        elif isinstance(value, Enum):
            value = value.value
        row[name] = value
    if isinstance(record, InventoryItem):
        row["low_stock"] = int(record.low_stock)
    return row


def _from_row_validated(model: type[M], row: Any) -> M:
    scales = SCALES.get(model, {})
    json_fields = JSON_FIELDS.get(model, ())
    values = {}
    for name in model.model_fields:
        value = row[name]
        if value is not None:
            if name in json_fields:
                value = JSON_DECODERS.get((model, name), wire.loads)(value)
            elif name in scales:
                value = from_scaled_int(value, scales[name])
        values[name] = value
    return model.model_validate(values)


# -- converters, worked out once per record type ----------------------------------------------
Convert = Callable[[Any], Any] | None  # None: stored as it is
_CODECS: dict[type, list[tuple[str, Convert, Convert]] | None] = {}


def _codec(model: type[BaseModel]) -> list[tuple[str, Convert, Convert]] | None:
    """(name, encode, decode) per field of the record, or None: validate it both ways."""
    try:
        return _CODECS[model]
    except KeyError:
        pass
    _CODECS[model] = fields = _field_converters(model) if _plain(model) else None
    return fields


def _field_converters(model: type[BaseModel]) -> list[tuple[str, Convert, Convert]] | None:
    scales = SCALES.get(model, {})
    json_fields = JSON_FIELDS.get(model, ())
    fields: list[tuple[str, Convert, Convert]] = []
    for name, info in model.model_fields.items():
        annotation, metadata = _optional_of(info.annotation), list(info.metadata)
        if typing.get_origin(annotation) is typing.Annotated:  # `Instant | None` and the like
            annotation, *inner = typing.get_args(annotation)
            metadata += inner
        converters = _converters(annotation, metadata, scales.get(name), name in json_fields)
        if converters is None:
            return None
        decoder = JSON_DECODERS.get((model, name))
        fields.append((name, converters[0], decoder or converters[1]))
    return fields


def _plain(model: type[BaseModel]) -> bool:
    """A record `_construct` builds exactly as `model_construct` would: no aliases, no
    post-init, no private attributes, no extra fields kept."""
    return (not model.__pydantic_root_model__ and not model.__pydantic_post_init__
            and not model.__private_attributes__ and model.model_config.get("extra") != "allow"
            and all(f.alias is None and f.validation_alias is None
                    for f in model.model_fields.values()))


def _optional_of(annotation: Any) -> Any:
    """`X | None` -> X."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
        return arguments[0] if len(arguments) == 1 else annotation
    return annotation


def _converters(annotation: Any, metadata: list, scale: int | None,
                as_json: bool) -> tuple[Convert, Convert] | None:
    """(encode, decode) for one field, or None when only validation can read it back."""
    if scale is not None and annotation is Decimal:
        return (lambda value: to_scaled_int(value, scale)), _scaled_decoder(scale)
    if as_json:
        origin = typing.get_origin(annotation)
        if origin is dict:
            return wire.dumps, wire.loads
        arguments = typing.get_args(annotation)
        if origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:
            member = arguments[0]
            if member is str:
                return (lambda value: wire.dumps(list(value))), (lambda text: tuple(wire.loads(text)))
            if isinstance(member, type) and issubclass(member, Enum):
                return ((lambda value: wire.dumps([m.value for m in value])),
                        (lambda text: tuple(member(v) for v in wire.loads(text))))
        return None
    if annotation is datetime:
        # Only instants (aware UTC, stored as fixed-width text) are stored as datetimes.
        if any(isinstance(m, PlainSerializer) and m.func is format_instant for m in metadata):
            return format_instant, _stored_instant
        return None
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return (lambda value: value.value), _member_decoder(annotation)
    if annotation is bool:
        return None, bool  # SQLite gives 0 or 1
    if annotation in (str, int):
        return None, None
    return None


# Stored values repeat (a page of items shares its instants, most counts and prices recur), and
# what they decode to is immutable, so one decoding serves every row that holds the same value.
@lru_cache(maxsize=4096)
def _stored_instant(text: str) -> datetime:
    return parse_instant(text)


def _scaled_decoder(places: int) -> Callable[[int], Decimal]:
    @lru_cache(maxsize=4096)
    def decode(value: int) -> Decimal:
        return from_scaled_int(value, places)
    return decode


def _member_decoder(enum: type[Enum]) -> Callable[[Any], Enum]:
    members = enum._value2member_map_

    def decode(value: Any) -> Enum:
        try:
            return members[value]
        except (KeyError, TypeError):
            return enum(value)  # refuses a value the enum does not have
    return decode
