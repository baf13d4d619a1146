"""Several items' ledgers as one list in (occurred_at, id) order, a page at a time: each item's is
read from the page's keyset cursor on (store.ledger_by_time), so a page reads about `limit`
entries per item, never the history before the cursor (Square's changes lists)."""
from __future__ import annotations

import heapq
from datetime import datetime
from typing import Callable, Iterator, Sequence

from ..domain import cursor
from ..domain.models import LedgerEntry
from ..domain.time import format_instant
from .auth import Actor
from .ports import Services, Slice

OLDEST_FIRST, NEWEST_FIRST = "ledger-up", "ledger-down"  # the cursor's kind names its order
# Above every entry id ([A-Za-z0-9_-]) in byte order: (instant, AFTER_EVERY_ID) is after each
# entry of that instant, so a page from it starts strictly after the instant.
AFTER_EVERY_ID = "~"


def page(services: Services, actor: Actor, item_ids: Sequence[str], after: str | None, limit: int,
         newest_first: bool = False, occurred_after: datetime | None = None,
         occurred_before: datetime | None = None,
         keep: Callable[[LedgerEntry], bool] = lambda entry: True) -> Slice[LedgerEntry]:
    """Up to `limit` entries of these items that `keep` keeps, in (occurred_at, id) order, from
    the cursor `after` (one this function wrote, for the same order); with `occurred_after` /
    `occurred_before`, only entries that occurred in (after, before]. `next_cursor` resumes after
    the page's last entry when a further kept entry exists."""
    kind = NEWEST_FIRST if newest_first else OLDEST_FIRST
    start: tuple[str, str] | None = cursor.read_moment(after, kind) if after else None
    if start is None and occurred_after is not None and not newest_first:
        start = (format_instant(occurred_after), AFTER_EVERY_ID)
    bound = format_instant(occurred_before) if occurred_before is not None else None
    found: list[LedgerEntry] = []
    merged = heapq.merge(*(_entries(services, actor.organization_id, item_id, start, limit + 1,
                                    newest_first) for item_id in item_ids),
                         key=lambda entry: (format_instant(entry.occurred_at), entry.id),
                         reverse=newest_first)
    for entry in merged:
        at = format_instant(entry.occurred_at)
        if bound is not None and not newest_first and at > bound:
            break
        if occurred_after is not None and newest_first and at <= format_instant(occurred_after):
            break
        if bound is not None and newest_first and at > bound:
            continue
        if not keep(entry):
            continue
        if len(found) == limit:  # one more kept entry: the page has a next one
            last = found[-1]
            return Slice(found, cursor.write_moment(kind, format_instant(last.occurred_at), last.id))
        found.append(entry)
    return Slice(found, None)


def _entries(services: Services, organization_id: str, item_id: str, start: tuple[str, str] | None,
             batch: int, newest_first: bool) -> Iterator[LedgerEntry]:
    """One item's ledger from `start`, read `batch` entries at a time as the merge asks."""
    while True:
        entries = services.store.ledger_by_time(organization_id, item_id, start, batch, newest_first)
        yield from entries
        if len(entries) < batch:
            return
        start = (format_instant(entries[-1].occurred_at), entries[-1].id)
