"""JSON on the wire with exact decimals: numbers parse to Decimal and Decimals print as numbers."""
from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from itertools import accumulate
from typing import Any

import simplejson

# No document of this API nests deeper than a few levels; a deeper one is refused before it is
# parsed, since the parser recurses once per level.
MAX_DEPTH = 64
# Beyond this many digits Python refuses to read a text as an int; such a number is read as a
# Decimal instead, which has no such limit.
_INT_DIGITS = sys.get_int_max_str_digits() or 4300
# Decimal holds exponents up to about ±10**18; a number beyond is read with its exponent
# clamped to this, which leaves it outside every range this API takes (and a zero a zero).
_CLAMPED_EXPONENT = 10**15

# What simplejson.dumps(value, use_decimal=True, separators=(",", ":"), ensure_ascii=False) builds
# on every call, built once (an encoder keeps no state between calls).
_ENCODER = simplejson.JSONEncoder(use_decimal=True, separators=(",", ":"), ensure_ascii=False)


class TooDeep(ValueError):
    """A document nested deeper than MAX_DEPTH."""


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # an exponent beyond what Decimal holds
        mantissa, _, exponent = text.lower().partition("e")
        sign, digits, _ = Decimal(mantissa).as_tuple()
        clamped = -_CLAMPED_EXPONENT if exponent.startswith("-") else _CLAMPED_EXPONENT
        return Decimal((sign, digits, clamped))


def _integer(text: str) -> int | Decimal:
    return int(text) if len(text) <= _INT_DIGITS else Decimal(text)


def loads(text: str | bytes) -> Any:
    check_depth(text)
    return simplejson.loads(text, parse_float=_decimal, parse_int=_integer,
                            parse_constant=_no_constants)


_NOT_STRUCTURE = bytes(range(256)).translate(None, b'[]{}"')  # every byte but brackets and quotes
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def check_depth(text: str | bytes) -> None:
    """Refuse a document nested deeper than MAX_DEPTH (brackets inside strings do not count),
    with bytes operations and one pass over the brackets, before the parser recurses into it."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return
    # Escapes pair up from the left, so dropping \\ and then \" leaves only the quotes that
    # open and close strings; every other part of the split is outside a string.
    structure = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    outside = b"".join(structure.split(b'"')[::2])
    if max(accumulate(map(_STEP.__getitem__, outside)), default=0) > MAX_DEPTH:
        raise TooDeep(f"the document is nested deeper than {MAX_DEPTH} levels")


def canonical(value: Any) -> str:
    """One text per value, whatever the key order: the basis of request fingerprints."""
    return simplejson.dumps(value, use_decimal=True, sort_keys=True, separators=(",", ":"))
