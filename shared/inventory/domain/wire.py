"""JSON on the wire with exact decimals: numbers parse to Decimal and Decimals print as numbers."""
from __future__ import annotations

from typing import Any

import simplejson


# What simplejson.dumps(value, use_decimal=True, separators=(",", ":"), ensure_ascii=False) builds
# on every call, built once (an encoder keeps no state between calls).
_ENCODER = simplejson.JSONEncoder(use_decimal=True, separators=(",", ":"), ensure_ascii=False)


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(text: str | bytes) -> Any:
    return simplejson.loads(text, use_decimal=True, parse_constant=_no_constants)


def canonical(value: Any) -> str:
    """One text per value, whatever the key order: the basis of request fingerprints."""
    return simplejson.dumps(value, use_decimal=True, sort_keys=True, separators=(",", ":"))
