"""An item's free-form attributes: string keys and string, number or boolean values, bounded so
that an item stays small, set on create and merged by PATCH (a key set to null is removed)."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Mapping

from pydantic import BeforeValidator, Field, WithJsonSchema

from . import wire
from .errors import InvalidInput, RuleBroken

MAX_ATTRIBUTES = 50            # keys an item holds
MAX_ATTRIBUTE_KEY = 64         # characters in a key
MAX_ATTRIBUTE_STRING = 1000    # characters in a string value
MAX_ATTRIBUTES_BYTES = 16384   # the attributes as compact JSON (UTF-8)
MAX_ATTRIBUTE_DIGITS = 40      # significant digits of a number
MAX_ATTRIBUTE_EXPONENT = 1000  # |exponent| of a number: exact, and short on the wire
# A PATCH may remove every key and set as many new ones.
MAX_ATTRIBUTE_PATCH = 2 * MAX_ATTRIBUTES

AttributeValue = str | bool | Decimal


def _value(key: str, value: Any, nullable: bool) -> AttributeValue | None:
    field = key if isinstance(key, str) else ""  # refusals name `attributes.<key>`
    if not isinstance(key, str) or not key or len(key) > MAX_ATTRIBUTE_KEY:
        raise RuleBroken(field, f"an attribute key has 1 to {MAX_ATTRIBUTE_KEY} characters",
                         "invalid_attribute_key")
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in key):
        raise RuleBroken(field, "an attribute key has no control characters",
                         "invalid_attribute_key")
    if value is None:
        if nullable:
            return None
        raise RuleBroken(field, "a stored attribute is never null", "invalid_attribute_value")
    if isinstance(value, bool):  # before numbers: a bool is an int in Python
        return value
    if isinstance(value, str):
        if len(value) > MAX_ATTRIBUTE_STRING:
            raise RuleBroken(field, f"a string attribute has at most {MAX_ATTRIBUTE_STRING} "
                             "characters", "attribute_too_long")
        return value
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise RuleBroken(field, "a number attribute is finite", "invalid_attribute_value")
        digits, exponent = len(number.as_tuple().digits), number.as_tuple().exponent
        if digits > MAX_ATTRIBUTE_DIGITS or abs(int(exponent)) > MAX_ATTRIBUTE_EXPONENT:
            raise RuleBroken(field, f"a number attribute has at most {MAX_ATTRIBUTE_DIGITS} "
                             f"digits and an exponent within ±{MAX_ATTRIBUTE_EXPONENT}",
                             "invalid_attribute_value")
        return number
    raise RuleBroken(field, "an attribute is a string, a number, a boolean or null",
                     "invalid_attribute_value")


def _checked(value: Any, nullable: bool, max_keys: int) -> dict[str, AttributeValue | None]:
    if not isinstance(value, Mapping):
        raise RuleBroken("", "attributes is an object", "invalid_attributes")
    if len(value) > max_keys:
        raise RuleBroken("", f"at most {max_keys} attributes", "too_many_attributes")
    return {key: _value(key, item, nullable) for key, item in value.items()}


def _too_large(attributes: Mapping[str, AttributeValue]) -> bool:
    return len(wire.dumps(dict(attributes)).encode("utf-8", "surrogatepass")) > MAX_ATTRIBUTES_BYTES


_TOO_MANY = f"an item holds at most {MAX_ATTRIBUTES} attributes"
_TOO_LARGE = f"an item's attributes take at most {MAX_ATTRIBUTES_BYTES} bytes as JSON"


def check_size(attributes: Mapping[str, AttributeValue]) -> None:
    """Refuse stored attributes beyond MAX_ATTRIBUTES keys or MAX_ATTRIBUTES_BYTES of JSON."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise RuleBroken("", _TOO_MANY, "too_many_attributes")
    if _too_large(attributes):
        raise RuleBroken("", _TOO_LARGE, "attributes_too_large")


def _stored(value: Any) -> dict[str, AttributeValue]:
    checked = _checked(value, nullable=False, max_keys=MAX_ATTRIBUTES)
    check_size(checked)
    return checked  # type: ignore[return-value]


def _patch(value: Any) -> dict[str, AttributeValue | None]:
    return _checked(value, nullable=True, max_keys=MAX_ATTRIBUTE_PATCH)


def _schema(nullable: bool) -> WithJsonSchema:
    values = [{"type": "string", "maxLength": MAX_ATTRIBUTE_STRING}, {"type": "number"},
              {"type": "boolean"}] + ([{"type": "null"}] if nullable else [])
    return WithJsonSchema({"type": "object", "additionalProperties": {"anyOf": values},
                           "propertyNames": {"minLength": 1, "maxLength": MAX_ATTRIBUTE_KEY},
                           "maxProperties": MAX_ATTRIBUTE_PATCH if nullable else MAX_ATTRIBUTES})


# An item's attributes, as stored and returned.
Attributes = Annotated[dict[str, AttributeValue], BeforeValidator(_stored), _schema(False),
                       Field(description=f"Free-form attributes: up to {MAX_ATTRIBUTES} keys of 1 to "
                             f"{MAX_ATTRIBUTE_KEY} characters; values strings (up to "
                             f"{MAX_ATTRIBUTE_STRING} characters), exact numbers or booleans; "
                             f"at most {MAX_ATTRIBUTES_BYTES} bytes as JSON.")]
# A request's attributes: as above, and a key set to null is removed (JSON merge patch).
AttributesPatch = Annotated[dict[str, AttributeValue | None], BeforeValidator(_patch), _schema(True),
                            Field(description="Attributes to set; a key set to null is removed, "
                                  "keys not named are kept (a JSON merge patch).")]


def merge_attributes(current: Mapping[str, AttributeValue],
                     patch: Mapping[str, AttributeValue | None] | None) -> dict[str, AttributeValue]:
    """`current` with `patch` merged in (a null removes its key; `patch` None removes every key),
    refused with InvalidInput on `attributes` when the result exceeds the bounds."""
    merged = dict(current) if patch is not None else {}
    for key, value in (patch or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > MAX_ATTRIBUTES:
        raise InvalidInput(_TOO_MANY, "attributes", "too_many_attributes")
    if _too_large(merged):
        raise InvalidInput(_TOO_LARGE, "attributes", "attributes_too_large")
    return merged


def _exact(value: Any) -> Any:
    return Decimal(value) if isinstance(value, int) and not isinstance(value, bool) else value


def attributes_from_json(text: str) -> dict[str, AttributeValue]:
    """Stored attributes (compact JSON) back to values: every number a Decimal, as it was."""
    if text == "{}":
        return {}
    return {key: _exact(value) for key, value in wire.loads(text).items()}
