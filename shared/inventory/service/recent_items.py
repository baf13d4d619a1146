"""Active items, most recently updated first (by updated_at, then id, both descending), across
several filters, read from a keyset key a batch at a time (store.items_by_update): a page reads
about its own items, never those before the key (Square's counts, newest `calculated_at` first)."""
from __future__ import annotations

import heapq
from typing import Iterator, Sequence

from ..domain.codes import Scope
from ..domain.models import InventoryItem
from ..domain.time import format_instant
from .auth import Actor
from .ports import ItemFilter, Services


def key_of(item: InventoryItem) -> tuple[str, str]:
    """Where a list resumes after this item: its updated_at (format_instant text) and id."""
    return format_instant(item.updated_at), item.id


def newest_first(services: Services, actor: Actor, filters: Sequence[ItemFilter],
                 after: tuple[str, str] | None, batch: int) -> Iterator[InventoryItem]:
    """The items any of `filters` matches, each once, strictly after the key `after`, fetched
    `batch` at a time per filter as the caller reads on."""
    actor.require(Scope.INVENTORY_READ)
    merged = heapq.merge(*(_matching(services, actor.organization_id, one, after, batch)
                           for one in filters), key=key_of, reverse=True)
    previous = None
    for item in merged:
        if item.id != previous:  # two filters naming the same place (a location's id and code)
            yield item
        previous = item.id


def _matching(services: Services, organization_id: str, item_filter: ItemFilter,
              after: tuple[str, str] | None, batch: int) -> Iterator[InventoryItem]:
    while True:
        found = services.store.items_by_update(organization_id, item_filter, after, batch)
        yield from found
        if len(found) < batch:
            return
        after = key_of(found[-1])
