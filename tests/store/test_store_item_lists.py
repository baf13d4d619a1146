"""list_items on every store: active items in id order, by page number or by cursor, filtered,
and empty results; a cursor that the store did not write is refused as invalid_cursor."""
from __future__ import annotations

import random
from decimal import Decimal

import pytest

from inventory.domain.codes import RoomType
from inventory.domain.errors import InvalidInput
from inventory.service.ports import ItemFilter

from .builders import LOCATION, ORG, OTHER_LOCATION, OTHER_ORG, at, create_items, item

ALL = ItemFilter()


def _stock(store, count: int = 12) -> list[str]:
    """`count` active items written in shuffled id order, an archived one and another
    organization's; returns the active ids in id order."""
    ids = [f"itm_{n:03}" for n in range(count)]
    shuffled = random.Random(7).sample(ids, len(ids))
    create_items(store, [item(i, sku=f"S-{i}") for i in shuffled]
                 + [item("itm_005a", sku="GONE", archived_at=at(60)),
                    item("itm_004a", sku="THEIRS", organization_id=OTHER_ORG)])
    return ids


def _walk_by_cursor(store, item_filter: ItemFilter, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = store.list_items(ORG, item_filter, 1, limit, cursor=cursor)
        pages.append([i.id for i in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def test_items_are_listed_in_id_order_by_page_and_by_cursor_alike(store):
    ids = _stock(store)
    by_page = []
    for number in (1, 2, 3):
        page = store.list_items(ORG, ALL, number, 5)
        assert page.total == 12
        by_page.append([i.id for i in page.items])
        assert (page.next_cursor is None) == (number == 3), number
    assert by_page == [ids[0:5], ids[5:10], ids[10:12]]
    assert _walk_by_cursor(store, ALL, 5) == by_page


def test_a_page_numbers_cursor_resumes_after_its_last_item(store):
    ids = _stock(store)
    second = store.list_items(ORG, ALL, 2, 4)
    third = store.list_items(ORG, ALL, 1, 4, cursor=second.next_cursor)
    assert [i.id for i in third.items] == ids[8:12] and third.total == 12
    assert third.next_cursor is None


def test_a_list_that_ends_on_a_full_page_has_no_cursor_after_it(store):
    _stock(store, 10)
    assert store.list_items(ORG, ALL, 2, 5).next_cursor is None
    first = store.list_items(ORG, ALL, 1, 5)
    last = store.list_items(ORG, ALL, 1, 5, cursor=first.next_cursor)
    assert len(last.items) == 5 and last.next_cursor is None


def test_empty_lists_have_no_items_no_total_and_no_cursor(store):
    empty = store.list_items(ORG, ALL, 1, 50)
    assert (list(empty.items), empty.total, empty.next_cursor) == ([], 0, None)
    _stock(store, 3)
    beyond = store.list_items(ORG, ALL, 5, 50)
    assert (list(beyond.items), beyond.total, beyond.next_cursor) == ([], 3, None)
    nothing = store.list_items(ORG, ItemFilter(sku="NO-SUCH"), 1, 50)
    assert (list(nothing.items), nothing.total, nothing.next_cursor) == ([], 0, None)
    assert store.list_items("org_nobody", ALL, 1, 50).total == 0


def test_every_filter_narrows_the_list_and_its_total_alike(store):
    create_items(store, [
        item("itm_1", sku="A", category="flower", quantity=1, low_stock_threshold=Decimal(5)),
        item("itm_2", sku="A", room_type=RoomType.VAULT, category="edible", quantity=10,
             updated_at=at(120)),
        item("itm_3", sku="B", location_id=OTHER_LOCATION, category="flower", quantity=2,
             low_stock_threshold=Decimal(1), updated_at=at(60)),
        item("itm_4", sku="C", category="flower", quantity=0, archived_at=at(30)),
    ])
    expected = {
        ItemFilter(location_id=LOCATION): ["itm_1", "itm_2"],
        ItemFilter(location_id=OTHER_LOCATION): ["itm_3"],
        ItemFilter(room_type=RoomType.VAULT): ["itm_2"],
        ItemFilter(category="flower"): ["itm_1", "itm_3"],
        ItemFilter(low_stock=True): ["itm_1"],
        ItemFilter(low_stock=False): ["itm_2", "itm_3"],
        ItemFilter(updated_after=at(30)): ["itm_2", "itm_3"],
        ItemFilter(updated_after=at(60)): ["itm_2"],  # strictly after
        ItemFilter(sku="A"): ["itm_1", "itm_2"],
        ItemFilter(product_id="prod-B"): ["itm_3"],
        ItemFilter(location_id=LOCATION, category="flower", sku="A"): ["itm_1"],
        ItemFilter(category="FLOWER"): [],  # exact match
    }
    for item_filter, ids in expected.items():
        page = store.list_items(ORG, item_filter, 1, 1)
        assert page.total == len(ids), item_filter
        assert [i.id for i in page.items] == ids[:1], item_filter
        assert sum(_walk_by_cursor(store, item_filter, 1), []) == ids, item_filter


@pytest.mark.parametrize("cursor", ["garbage!", "", "YWZ0ZXItaWQ6", "c2VxOjE", "!!!!"])
def test_a_cursor_the_store_did_not_write_is_refused_as_invalid_cursor(store, cursor):
    _stock(store, 3)
    with pytest.raises(InvalidInput) as refusal:
        store.list_items(ORG, ALL, 1, 5, cursor=cursor or "=")
    assert refusal.value.code == "invalid_cursor"
    assert [f.field for f in refusal.value.fields] == ["cursor"]
