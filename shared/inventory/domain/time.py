"""Instants: timezone-aware UTC datetimes, rendered as fixed-width ISO 8601 so text order is time order."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError


OUT_OF_RANGE = "is outside the years 0001-9999 once in UTC"


def in_utc(value: datetime) -> datetime:
    """The same instant in UTC; ValueError for an aware datetime at the calendar's edge whose
    UTC form is not a datetime (0001-01-01T00:00:00+14:00 is in the year 0)."""
    if value.tzinfo is timezone.utc:
        return value
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(OUT_OF_RANGE) from None


def format_instant(value: datetime) -> str:
    """Fixed width whatever the year (0999-01-01T00:00:00.000000Z), so text order is time order."""
    return _format_utc(in_utc(value))


# A use case prints its one `now` on every record it writes. Keyed by UTC datetimes only, where
# equal means the same instant (a zone's repeated hour compares equal across its fold).
@lru_cache(maxsize=1024)
def _format_utc(value: datetime) -> str:
    # Not strftime: its %Y does not pad years before 1000 on Linux.
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
            f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}Z")


def parse_instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("must include a time zone offset")
    return in_utc(value)


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone offset")
    try:
        return in_utc(value)
    except ValueError:
        raise PydanticCustomError("instant_out_of_range", OUT_OF_RANGE) from None


Instant = Annotated[
    datetime,
    AfterValidator(_aware_utc),
    PlainSerializer(format_instant, return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def check_time_zone(name: Any) -> str:
    """An IANA zone name such as America/Denver: one the tz database lists, so neither a folder of
    it ("America") nor a path is ever opened as a zone."""
    if not isinstance(name, str) or name not in _zone_names():
        raise ValueError("must be an IANA time zone name such as America/Denver")
    return name


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


TimeZoneName = Annotated[str, AfterValidator(check_time_zone)]
