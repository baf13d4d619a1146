"""Several items' ledgers as one list by (occurred_at, id), a page at a time from a keyset cursor,
on every store: each item's ledger read from the key on (store.ledger_by_time), merged by the
service (service/merged_ledger.py) — the order Square's changes lists promise."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from inventory import bootstrap
from inventory.domain.errors import InvalidInput
from inventory.domain.codes import Scope
from inventory.service import merged_ledger
from inventory.service.auth import Actor

from .builders import ORG, OTHER_ORG, at, create_items, entry, item, write

ACTOR = Actor(ORG, "key_1", frozenset(Scope))
NAMES = itertools.count()


def walk(services, item_ids, limit, **options) -> list[list[str]]:
    """Every page, following next_cursor to the end."""
    pages, after = [], None
    while True:
        found = merged_ledger.page(services, ACTOR, item_ids, after, limit, **options)
        pages.append([e.id for e in found.items])
        if found.next_cursor is None:
            return pages
        after = found.next_cursor


# Several items' entries: each at one of a few instants, so that many share one across items.
LEDGERS = st.lists(st.lists(st.integers(0, 4), min_size=0, max_size=6), min_size=1, max_size=3)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledgers=LEDGERS, limit=st.integers(1, 4), newest_first=st.booleans())
def test_pages_of_several_items_ledgers_walk_every_entry_once_in_time_then_id_order(
        store, ledgers, limit, newest_first):
    services = bootstrap.services()
    run = next(NAMES)
    made = [item(f"itm_{run}_{n}", sku=f"S{run}-{n}") for n in range(len(ledgers))]
    create_items(store, made)
    entries = [entry(of, f"chg_{run}_{n}_{k}", version=k + 1, after=k + 1, occurred_at=at(second))
               for n, (of, seconds) in enumerate(zip(made, ledgers)) for k, second in enumerate(seconds)]
    write(store, entries=entries)
    expected = [e.id for e in sorted(entries, key=lambda e: (e.occurred_at, e.id), reverse=newest_first)]
    pages = walk(services, [i.id for i in made], limit, newest_first=newest_first)
    assert [e for page in pages for e in page] == expected
    assert all(len(page) == limit for page in pages[:-1]) and len(pages[-1]) <= limit
    assert len(pages) == max(1, -(-len(expected) // limit))  # no empty page after a full one


def test_a_page_keeps_only_what_it_is_asked_for_and_resumes_after_its_last_entry(store):
    services = bootstrap.services()
    made = [item("itm_1", sku="A"), item("itm_2", sku="B")]
    create_items(store, made)
    write(store, entries=[entry(made[n % 2], f"chg_{n:02}", version=n + 1, after=n, occurred_at=at(n))
                          for n in range(12)])
    ids = ["itm_1", "itm_2"]
    even = lambda e: int(e.id[-2:]) % 3 == 0  # noqa: E731
    assert walk(services, ids, 2, keep=even) == [["chg_00", "chg_03"], ["chg_06", "chg_09"]]
    # (after, before]: entries that occurred after second 3, up to second 8
    assert walk(services, ids, 4, occurred_after=at(3), occurred_before=at(8)) == [
        ["chg_04", "chg_05", "chg_06", "chg_07"], ["chg_08"]]
    assert walk(services, ids, 5, newest_first=True, occurred_before=at(2)) == [
        ["chg_02", "chg_01", "chg_00"]]


def test_another_organizations_items_and_foreign_cursors_give_nothing(store):
    services = bootstrap.services()
    theirs = item("itm_9", sku="Z", organization_id=OTHER_ORG)
    create_items(store, [theirs])
    write(store, entries=[entry(theirs, "chg_theirs", version=1, after=1)])
    assert walk(services, ["itm_9"], 5) == [[]]
    assert store.ledger_by_time(ORG, "itm_9", None, 5) == []
    newest = merged_ledger.page(services, ACTOR, ["itm_9"], None, 1, newest_first=True)
    for foreign in ("bm90LW91cnM", "x", merged_ledger.cursor.write_moment(
            merged_ledger.NEWEST_FIRST, "2026-01-05T12:00:00.000000Z", "chg_1")):
        with pytest.raises(InvalidInput) as refused:
            merged_ledger.page(services, ACTOR, ["itm_9"], foreign, 1)
        assert refused.value.code == "invalid_cursor"
    assert newest.items == []
