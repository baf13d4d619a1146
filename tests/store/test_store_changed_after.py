"""GET /inventory?updated_after=… with each other filter, on every store: the list and its total
agree. On Firestore each combination is its own query shape, which real Firestore serves only
with its index (tests/cloud/test_firestore_indexes.py checks the shapes recorded here)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.domain.codes import RoomType
from inventory.service.ports import ItemFilter

from .builders import LOCATION, ORG, OTHER_LOCATION, at, create_items, item
from .test_store_item_lists import _walk_by_cursor

FILTERS = {
    "location_id": (dict(location_id=LOCATION), ["itm_2"]),
    "room_type": (dict(room_type=RoomType.VAULT), ["itm_2"]),
    "category": (dict(category="flower"), ["itm_3"]),
    "low_stock": (dict(low_stock=False), ["itm_2", "itm_3"]),
    "sku": (dict(sku="A"), ["itm_2"]),
    "product_id": (dict(product_id="prod-B"), ["itm_3"]),
    "combined": (dict(location_id=OTHER_LOCATION, category="flower", sku="B"), ["itm_3"]),
}


@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_with_updated_after_narrows_the_list_and_its_total_alike(store, name):
    create_items(store, [
        item("itm_1", sku="A", category="flower", quantity=1, low_stock_threshold=Decimal(5)),
        item("itm_2", sku="A", room_type=RoomType.VAULT, category="edible", quantity=10, updated_at=at(120)),
        item("itm_3", sku="B", location_id=OTHER_LOCATION, category="flower", quantity=2,
             low_stock_threshold=Decimal(1), updated_at=at(60)),
        item("itm_4", sku="A", category="flower", quantity=0, archived_at=at(90), updated_at=at(90)),
    ])
    fields, ids = FILTERS[name]
    item_filter = ItemFilter(updated_after=at(30), **fields)
    page = store.list_items(ORG, item_filter, 1, 1)
    assert page.total == len(ids)
    assert [i.id for i in page.items] == ids[:1]
    assert sum(_walk_by_cursor(store, item_filter, 1), []) == ids
