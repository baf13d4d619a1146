"""Instants: timezone-aware UTC datetimes, rendered as fixed-width ISO 8601 so text order is time order."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema


def format_instant(value: datetime) -> str:
    return _format_utc(value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc))


# A use case prints its one `now` on every record it writes. Keyed by UTC datetimes only, where
# equal means the same instant (a zone's repeated hour compares equal across its fold).
@lru_cache(maxsize=1024)
def _format_utc(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("must include a time zone offset")
    return value.astimezone(timezone.utc)


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone offset")
    return value.astimezone(timezone.utc)


Instant = Annotated[
    datetime,
    AfterValidator(_aware_utc),
    PlainSerializer(format_instant, return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def check_time_zone(name: Any) -> str:
    """An IANA zone name such as America/Denver."""
    if not isinstance(name, str) or not name or name.startswith("/") or ".." in name:
        raise ValueError("must be an IANA time zone name such as America/Denver")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone name such as America/Denver") from None
    return name


TimeZoneName = Annotated[str, AfterValidator(check_time_zone)]
