"""Cannlytics' 27 inventory fields, which of them map onto ours, and how each reads when empty.

Every field is a string; `'None'` (and JSON null, which their axios examples send, and `''`)
means empty. Their documents show an empty field as `''` for some fields and `'None'` for the
rest; we answer the same way.
"""
from __future__ import annotations

from typing import Any

# Fields shown as '' when empty in Cannlytics' documentation; every other field shows 'None'.
BLANK_WHEN_EMPTY = frozenset({
    "approved_at_time", "dose", "dose_number", "moved_at_time", "serving_size",
    "supply_duration_days", "volume", "weight"})

# Fields with a place in our item (see translate.py); the rest are free-form.
MAPPED = ("item_id", "name", "quantity", "units", "category_name", "area_id", "area_name")

FREE_FORM = ("admin_method", "approved", "approved_at", "approved_at_time", "category_type",
             "dose", "dose_number", "dose_units", "item_type", "moved_at", "moved_at_time",
             "quantity_type", "serving_size", "status", "strain_name", "supply_duration_days",
             "volume", "volume_units", "weight", "weight_units")

FIELDS = tuple(sorted(MAPPED + FREE_FORM))
assert len(FIELDS) == 27


def is_empty(value: Any) -> bool:
    """`'None'`, `''` and null all mean "no value" in Cannlytics' documents."""
    return value is None or (isinstance(value, str) and value.strip() in ("", "None"))


def empty(field: str) -> str:
    """How `field` reads when it has no value."""
    return "" if field in BLANK_WHEN_EMPTY else "None"
