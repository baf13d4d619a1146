"""Point-in-time snapshots: a location's stock as of the end of a local day, or as of an instant."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal

from ..domain import cursor as opaque
from ..domain.codes import Scope
from ..domain.commands import is_resource_id
from ..domain.errors import InvalidInput
from ..domain.models import Location
from ..domain.snapshot import Snapshot, SnapshotQuery, SnapshotTotals, end_of_day, local_date
from ..domain.time import format_instant, parse_instant
from .auth import Actor
from .locations import require_location
from .ports import Services


def snapshot(services: Services, actor: Actor, query: SnapshotQuery) -> Snapshot:
    """Quantities at the instant the query names, replayed from the ledger; one page of items.
    The first page sums the whole location; later ones take its totals from the cursor."""
    actor.require(Scope.INVENTORY_READ)
    actor.check_organization(query.organization_id)
    location = require_location(services.store, actor.organization_id, query.location_id)
    if query.cursor:
        as_of, after, totals = _read_cursor(actor.organization_id, query)
    else:
        as_of, after, totals = _instant_of(query, location, services.clock.now()), None, None
    page = services.store.snapshot(actor.organization_id, location.id, as_of, query.room_type,
                                   query.category, after, query.limit, totals=totals)
    next_cursor = (_write_cursor(actor.organization_id, query, as_of, page.last_id, page.totals)
                   if page.last_id else None)
    return Snapshot(location.id, as_of, page, next_cursor)


def _instant_of(query: SnapshotQuery, location: Location, now: datetime) -> datetime:
    """`at` as given, or the end of `date` in the location's zone; today (not over yet) means now."""
    if query.at is not None:
        if query.at > now:
            raise InvalidInput("at is in the future; a snapshot answers for the past",
                               "at", "at_in_future")
        return query.at
    today = local_date(now, location.time_zone)
    if query.date > today:
        raise InvalidInput(f"{query.date.isoformat()} has not begun in {location.time_zone} "
                           f"(today there is {today.isoformat()})", "date", "date_in_future")
    return min(end_of_day(query.date, location.time_zone), now)


# A cursor carries the instant of its first page, so paging through "today" stays one
# snapshot, and names the query it belongs to, so it cannot be replayed against another. It also
# carries the first page's totals and revised_at, so later pages need not read the whole location
# again (they repeat the first page's, even if a correction arrives meanwhile; a new snapshot
# shows it). A check over its content (and the organization) makes a cursor cut short or edited
# by hand fail; it is a checksum, not a secret signature, so a forged one could only mislead its
# forger about totals the forger may read anyway.
def _fingerprint(query: SnapshotQuery) -> str:
    named = [query.location_id, query.date.isoformat() if query.date else None,
             format_instant(query.at) if query.at else None,
             query.room_type.value if query.room_type else None, query.category]
    return hashlib.sha256(json.dumps(named).encode()).hexdigest()[:16]


def _check(organization_id: str, content: dict) -> str:
    signed = json.dumps([organization_id, content], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(signed.encode()).hexdigest()[:16]


def _write_cursor(organization_id: str, query: SnapshotQuery, as_of: datetime, after: str,
                  totals: SnapshotTotals) -> str:
    content = {"q": _fingerprint(query), "t": format_instant(as_of), "a": after,
               "n": totals.items, "u": str(totals.quantity), "v": str(totals.value),
               "r": None if totals.revised_at is None else format_instant(totals.revised_at)}
    content["c"] = _check(organization_id, content)
    return opaque.encode(json.dumps(content, separators=(",", ":")))


def _read_cursor(organization_id: str, query: SnapshotQuery) -> tuple[datetime, str, SnapshotTotals]:
    try:
        found = json.loads(opaque.decode(query.cursor or ""))
        content = {key: found[key] for key in ("q", "t", "a", "n", "u", "v")}
        if "r" in found:  # cursors written before snapshots said when they were revised have none
            content["r"] = found["r"]
        fingerprint, as_of, after = content["q"], parse_instant(content["t"]), content["a"]
        if (found["c"] != _check(organization_id, content) or not isinstance(fingerprint, str)
                or not is_resource_id(after)):
            raise ValueError(query.cursor)
        revised = content.get("r")
        totals = SnapshotTotals(_count(content["n"]), _amount(content["u"]), _amount(content["v"]),
                                None if revised is None else parse_instant(revised))
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError):
        raise opaque.refusal("cursor") from None
    if fingerprint != _fingerprint(query):
        raise InvalidInput("cursor belongs to a snapshot with other parameters; repeat the "
                           "first request's location_id, date or at, room_type and category",
                           "cursor", "cursor_mismatch")
    return as_of, after, totals


def _count(value: object) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(value)
    return value


def _amount(value: object) -> Decimal:
    if not isinstance(value, str) or len(value) > 60:
        raise ValueError(value)
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(value)
    return amount
