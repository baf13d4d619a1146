"""snapshot and list_changes on every store. Which items a snapshot at T holds is one domain rule
(`existed_at`: created at or before T, not archived by T) that both stores must follow on its
edges; the quantity then is the last ledger entry at or before T; pages and their totals agree."""
from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.domain.codes import RoomType
from inventory.domain.errors import InvalidInput
from inventory.domain.snapshot import SnapshotTotals, existed_at

from .builders import (LOCATION, MICROSECOND, ORG, OTHER_ORG, T0, at, cursor_pages, create_items,
                       entry, item, write)

EXAMPLES = {"sqlite": 60, "firestore": 15}
LIMITS = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
# Instants around T0 to the microsecond: exactly at T0, just before and after, well before and after.
NEAR = st.sampled_from([-3600_000_000, -1, 0, 1, 3600_000_000]).map(lambda us: T0 + us * MICROSECOND)


def test_existed_at_on_its_edges():
    made = item("itm_1", created_at=T0)
    assert existed_at(made, T0)                        # created exactly at T
    assert not existed_at(made, T0 - MICROSECOND)      # created after T
    gone = item("itm_2", created_at=at(-60), archived_at=T0)
    assert not existed_at(gone, T0)                    # archived exactly at T
    assert existed_at(gone, T0 - MICROSECOND)          # archived after T
    assert not existed_at(gone, at(60))                # archived before T


@st.composite
def lives(draw):
    """Items with creation and archiving instants (and a ledger entry) around T0."""
    count = draw(st.integers(min_value=1, max_value=6))
    found = []
    for _ in range(count):
        created = draw(NEAR)
        archived = draw(st.one_of(st.none(), NEAR.filter(lambda t: t >= created)))
        counted = draw(st.one_of(st.none(), NEAR.filter(lambda t: t >= created)))
        found.append((created, archived, counted))
    return found


def test_a_snapshot_holds_exactly_the_items_that_existed_at_its_instant(store, backend):
    numbers = itertools.count()

    @settings(max_examples=EXAMPLES[backend], **LIMITS)
    @given(lives())
    def check(lived):
        location = f"loc_{next(numbers)}"
        items, entries = [], []
        for n, (created, archived, counted) in enumerate(lived):
            made = item(f"itm_{location}_{n}", location_id=location, created_at=created,
                        archived_at=archived, quantity=0 if archived else 4)
            items.append(made)
            if counted is not None:
                entries.append(entry(made, f"chg_{location}_{n}", version=1, after=4,
                                     occurred_at=counted))
        create_items(store, items)
        write(store, entries=entries)
        expected = {i.id: (Decimal(4) if any(e.item_id == i.id and e.occurred_at <= T0
                                             for e in entries) else Decimal(0))
                    for i in items if existed_at(i, T0)}
        first = store.snapshot(ORG, location, T0, None, None, None, 100)
        assert {line.item.id: line.quantity for line in first.lines} == expected
        assert (first.totals.items, first.totals.quantity) == (len(expected), sum(expected.values()))
        # A later page (totals given) is read another way on Firestore: the same rule holds.
        later = store.snapshot(ORG, location, T0, None, None, None, 100, totals=SnapshotTotals())
        assert {line.item.id: line.quantity for line in later.lines} == expected
        assert first.last_id is None and later.last_id is None

    check()


def _location_with_history(store) -> list[str]:
    """Seven items with costs in two rooms and categories, one archived before T0, one made after."""
    items = [item(f"itm_{n}", sku=f"S-{n}", quantity=n, created_at=at(-600 + n),
                  room_type=RoomType.VAULT if n % 3 == 0 else RoomType.SALES_FLOOR,
                  category="flower" if n % 2 else "edible", unit_cost=Decimal("2.5"))
             for n in range(1, 8)]
    items.append(item("itm_8", sku="GONE", created_at=at(-600), archived_at=at(-1)))
    items.append(item("itm_9", sku="LATE", created_at=at(1), quantity=5))
    create_items(store, items)
    entries = []
    for made in items[:7]:
        n = int(made.id.split("_")[1])
        entries += [entry(made, f"chg_{n}a", version=1, after=n, occurred_at=made.created_at),
                    # two entries at one instant: the later in ledger order counts
                    entry(made, f"chg_{n}b", version=2, before=n, after=n + 1, occurred_at=at(-5)),
                    entry(made, f"chg_{n}c", version=3, before=n + 1, after=n + 2, occurred_at=at(-5)),
                    entry(made, f"chg_{n}d", version=4, before=n + 2, after=0, occurred_at=at(5))]
    write(store, entries=entries)
    return [i.id for i in items[:7]]


def test_snapshot_pages_follow_one_another_and_share_the_first_pages_totals(store):
    ids = _location_with_history(store)
    whole = store.snapshot(ORG, LOCATION, T0, None, None, None, 100)
    assert [line.item.id for line in whole.lines] == ids and whole.last_id is None
    assert [line.quantity for line in whole.lines] == [Decimal(n + 2) for n in range(1, 8)]
    assert (whole.totals.items, whole.totals.quantity, whole.totals.value) == (
        7, Decimal(42), Decimal(105))

    pages, after, totals = [], None, None
    while True:
        page = store.snapshot(ORG, LOCATION, T0, None, None, after, 3, totals=totals)
        pages.append([line.item.id for line in page.lines])
        assert page.totals == whole.totals
        if page.last_id is None:
            break
        after, totals = page.last_id, page.totals
    assert pages == [ids[0:3], ids[3:6], ids[6:7]]


def test_a_snapshot_that_ends_on_a_full_page_says_no_more(store):
    ids = _location_with_history(store)
    first = store.snapshot(ORG, LOCATION, T0, None, None, ids[3], 3)
    assert [line.item.id for line in first.lines] == ids[4:7] and first.last_id is None
    later = store.snapshot(ORG, LOCATION, T0, None, None, ids[3], 3, totals=first.totals)
    assert [line.item.id for line in later.lines] == ids[4:7] and later.last_id is None


def test_snapshot_filters_and_empty_snapshots(store):
    _location_with_history(store)
    vault = store.snapshot(ORG, LOCATION, T0, RoomType.VAULT, None, None, 100)
    assert [line.item.id for line in vault.lines] == ["itm_3", "itm_6"]
    flower = store.snapshot(ORG, LOCATION, T0, None, "flower", None, 100)
    assert [line.item.id for line in flower.lines] == ["itm_1", "itm_3", "itm_5", "itm_7"]
    for empty in (store.snapshot(ORG, LOCATION, at(-3600), None, None, None, 100),
                  store.snapshot(ORG, "loc_empty", T0, None, None, None, 100),
                  store.snapshot(OTHER_ORG, LOCATION, T0, None, None, None, 100),
                  store.snapshot(ORG, LOCATION, T0, RoomType.QUARANTINE, None, None, 100)):
        assert list(empty.lines) == [] and empty.last_id is None
        assert empty.totals == SnapshotTotals()


# -- list_changes ------------------------------------------------------------------------------

def test_changes_are_listed_newest_first_and_a_cursor_walks_them_all(store):
    made = item("itm_1", sku="A")
    create_items(store, [made, item("itm_2", sku="B")])
    write(store, entries=[entry(made, f"chg_{n:02}", version=n, before=n - 1, after=n,
                                occurred_at=at(n)) for n in range(1, 8)])
    pages = cursor_pages(lambda cursor: store.list_changes(ORG, "itm_1", cursor, 3))
    assert pages == [["chg_07", "chg_06", "chg_05"], ["chg_04", "chg_03", "chg_02"], ["chg_01"]]
    exact = store.list_changes(ORG, "itm_1", None, 7)
    assert len(exact.items) == 7 and exact.next_cursor is None
    assert exact.items[0] == entry(made, "chg_07", version=7, before=6, after=7, occurred_at=at(7))


def test_an_item_without_changes_lists_none_and_no_cursor(store):
    create_items(store, [item("itm_1", sku="A")])
    write(store, entries=[entry(item("itm_1", sku="A"), "chg_1", version=1, after=1)])
    for organization_id, item_id in ((ORG, "itm_2"), (ORG, "itm_missing"), (OTHER_ORG, "itm_1")):
        found = store.list_changes(organization_id, item_id, None, 10)
        assert (list(found.items), found.next_cursor) == ([], None), item_id


@pytest.mark.parametrize("cursor", ["garbage!", "YWZ0ZXItaWQ6aXRtXzE", "=", "c2VxOi0x"])
def test_a_changes_cursor_the_store_did_not_write_is_refused(store, cursor):
    with pytest.raises(InvalidInput) as refusal:
        store.list_changes(ORG, "itm_1", cursor, 10)
    assert refusal.value.code == "invalid_cursor" and refusal.value.fields[0].field == "cursor"
