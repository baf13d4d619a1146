"""Exact quantities and money: Decimal everywhere, bounded scale, JSON numbers on the wire."""
from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

QUANTITY_PLACES = 3  # a milligram of a gram-counted product
MONEY_PLACES = 4
QUANTITY_LIMIT = Decimal("1000000000")  # a billion units in one item is a typo, not stock
MONEY_LIMIT = Decimal("100000000")
# Arithmetic that never rounds, overflows or underflows, for reading numbers as they were sent.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def _refuse_non_numbers(value: Any) -> Any:
    # JSON numbers arrive as int or Decimal (wire.loads reads fractions and long integers so);
    # strings, booleans and floats are not numbers on our wire.
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError("must be a JSON number")
    return Decimal(value)


def _bounded(places: int, limit: Decimal):
    def check(value: Decimal) -> Decimal:
        # Never in the default context: 1e999999999999 overflows it, and it would round a number
        # of 5,000 digits to 28 before counting its places.
        if not value.is_finite():
            raise ValueError("must be a finite number")
        if value.is_zero():
            return Decimal(0)
        if value.adjusted() > limit.adjusted():
            raise ValueError(f"must be less than {limit} in absolute value")
        if not within_places(value, places):
            raise ValueError(f"must have at most {places} decimal places")
        if value.copy_abs() >= limit:
            raise ValueError(f"must be less than {limit} in absolute value")
        return normalized(value)

    return check


def within_places(value: Decimal, places: int) -> bool:
    """Whether `value` has at most `places` decimal places once trailing zeros are dropped, exactly."""
    shifted = value.scaleb(places, _EXACT)
    return shifted == shifted.to_integral_value(context=_EXACT)


def normalized(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to scientific notation (3.500 -> 3.5, 100 -> 100)."""
    if value == 0:
        return Decimal(0)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


_number_schema = WithJsonSchema({"type": "number"})
_as_decimal = PlainSerializer(lambda v: normalized(v), return_type=Decimal, when_used="always")

Quantity = Annotated[
    Decimal,
    BeforeValidator(_refuse_non_numbers),
    AfterValidator(_bounded(QUANTITY_PLACES, QUANTITY_LIMIT)),
    _as_decimal,
    _number_schema,
]
Money = Annotated[
    Decimal,
    BeforeValidator(_refuse_non_numbers),
    AfterValidator(_bounded(MONEY_PLACES, MONEY_LIMIT)),
    _as_decimal,
    _number_schema,
]


def to_scaled_int(value: Decimal, places: int) -> int:
    """Exact fixed-point integer for storage (3.5 g -> 3500 at 3 places)."""
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise InvalidOperation(f"{value} has more than {places} decimal places")
    return int(scaled)


def from_scaled_int(value: int, places: int) -> Decimal:
    return normalized(Decimal(value).scaleb(-places))
