"""Point-in-time stock: when a calendar day ends in a location's zone, and what a snapshot holds."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Sequence
from zoneinfo import ZoneInfo

from pydantic import Field, PlainValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from .codes import RoomType
from .commands import Code, Command, LocationRef, RuleBroken
from .models import InventoryItem, LedgerEntry
from .numbers import normalized
from .time import OUT_OF_RANGE, Instant, in_utc

MAX_SNAPSHOT_LIMIT = 1000

# Instants are kept to the microsecond, so "just before midnight" is one microsecond before it.
RESOLUTION = timedelta(microseconds=1)


def _calendar_date(value: object) -> date:
    if isinstance(value, str) and CALENDAR_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("invalid_date", "must be a calendar date written YYYY-MM-DD")


def _iso_instant(value: object) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return _utc_instant(value)
    # An unescaped "+" in a query string arrives as a space: 12:00:00+02:00 -> "12:00:00 02:00".
    if isinstance(value, str):
        text = UNESCAPED_PLUS.sub(r"+\1", value.strip()).replace("Z", "+00:00").replace("z", "+00:00")
        try:
            found = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if found.tzinfo is None:
                raise PydanticCustomError("missing_offset", "must include a time zone offset such as Z or -07:00")
            return _utc_instant(found)
    raise PydanticCustomError("invalid_instant",
                              "must be an ISO 8601 instant with an offset, such as 2026-01-27T23:00:00-07:00")


def _utc_instant(value: datetime) -> datetime:
    try:
        return in_utc(value)
    except ValueError:
        raise PydanticCustomError("instant_out_of_range", OUT_OF_RANGE) from None


CALENDAR_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UNESCAPED_PLUS = re.compile(r" (\d{2}(?::?\d{2})?)$")
CalendarDate = Annotated[date, PlainValidator(_calendar_date),
                         WithJsonSchema({"type": "string", "format": "date"})]


class SnapshotQuery(Command):
    """Stock at a location as of the end of a local calendar `date`, or as of an instant `at`."""

    location_id: LocationRef
    date: CalendarDate | None = None
    at: Annotated[Instant, PlainValidator(_iso_instant)] | None = None
    room_type: RoomType | None = None
    category: Code | None = None
    cursor: Annotated[str, Field(max_length=500)] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_SNAPSHOT_LIMIT)] = 200

    @model_validator(mode="after")
    def _one_instant(self) -> "SnapshotQuery":
        if self.date is not None and self.at is not None:
            raise RuleBroken("at", "send either date or at, not both", "date_and_at")
        if self.date is None and self.at is None:
            raise RuleBroken("date", "send date (YYYY-MM-DD) or at (an ISO 8601 instant with offset)",
                             "missing")
        return self


def start_of_day(day: date, time_zone: str) -> datetime:
    """The first instant of `day` in the zone, in UTC.

    Where local midnight does not exist (a zone that springs forward at 00:00) zoneinfo's
    fold=0 reads it with the offset in force before the jump, which is the instant the day begins.
    Where it happens twice (falling back to 00:00), fold=0 is the first time, when the day begins.
    """
    local_midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo(time_zone))
    return local_midnight.astimezone(timezone.utc)


def end_of_day(day: date, time_zone: str) -> datetime:
    """The last instant of `day` in the zone: just before local midnight of the next day, in UTC."""
    return start_of_day(day + timedelta(days=1), time_zone) - RESOLUTION


def local_date(instant: datetime, time_zone: str) -> date:
    return instant.astimezone(ZoneInfo(time_zone)).date()


def existed_at(item: InventoryItem, at: datetime) -> bool:
    """Whether a snapshot at `at` holds the item: created at or before `at` and not archived by
    then (an item created exactly at `at` is in it; one archived exactly at `at` is not)."""
    return item.created_at <= at and (item.archived_at is None or item.archived_at > at)


@dataclass(frozen=True)
class SettingEntry:
    """The ledger entry that sets an item's quantity at a snapshot's instant (its last entry at
    or before it): its id, when it happened, when we learnt of it, and when a late change last
    re-derived it (None: never)."""

    id: str
    occurred_at: datetime
    recorded_at: datetime
    revised_at: datetime | None = None

    @classmethod
    def of(cls, entry: LedgerEntry) -> "SettingEntry":
        return cls(entry.id, entry.occurred_at, entry.recorded_at, entry.revised_at)

    def revised_after(self, at: datetime) -> datetime | None:
        """When the quantity it sets was last written, if that was after `at` (the answer for
        `at` changed then); None when it was written by `at` and never re-derived since."""
        written = max(self.recorded_at, self.revised_at or self.recorded_at)
        return written if written > at else None


@dataclass(frozen=True)
class SnapshotLine:
    """An item as of an instant: its quantity then, the entry that set it (None before any), and
    its current attributes (not in the ledger)."""

    item: InventoryItem
    quantity: Decimal
    entry: SettingEntry | None = None

    @property
    def value(self) -> Decimal | None:
        """Quantity times unit cost, exact; None when the item has no cost."""
        if self.item.unit_cost is None:
            return None
        return normalized(self.quantity * self.item.unit_cost)


@dataclass
class SnapshotTotals:
    """Sums over every item a snapshot covers (items without a cost add no value), and
    `revised_at`: the latest instant after the snapshot's at which one of their quantities then
    was written (a change that arrived late, or one that re-derived the entry setting it); None
    when every quantity it reports was known by its instant."""

    items: int = 0
    quantity: Decimal = Decimal(0)
    value: Decimal = Decimal(0)
    revised_at: datetime | None = None

    def add(self, quantity: Decimal, unit_cost: Decimal | None,
            revised_at: datetime | None = None) -> None:
        self.items += 1
        self.quantity += quantity
        if unit_cost is not None:
            self.value += quantity * unit_cost
        self.revise(revised_at)

    def revise(self, revised_at: datetime | None) -> None:
        if revised_at is not None and (self.revised_at is None or revised_at > self.revised_at):
            self.revised_at = revised_at


@dataclass(frozen=True)
class SnapshotPage:
    """One page of a snapshot, with totals over all of it; `last_id` is set when more follow."""

    lines: Sequence[SnapshotLine]
    totals: SnapshotTotals
    last_id: str | None = None


@dataclass(frozen=True)
class Snapshot:
    location_id: str
    as_of: datetime
    page: SnapshotPage
    next_cursor: str | None = field(default=None)
