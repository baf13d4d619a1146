"""Active items most recently updated first, a page at a time from a keyset key, on every store
(store.items_by_update, merged across filters by service/recent_items.py): the order of Square's
counts, newest `calculated_at` first."""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings, strategies as st

from inventory import bootstrap
from inventory.domain.codes import RoomType, Scope
from inventory.service import recent_items
from inventory.service.auth import Actor
from inventory.service.ports import ItemFilter

from .builders import LOCATION, ORG, OTHER_LOCATION, OTHER_ORG, at, create_items, item

ACTOR = Actor(ORG, "key_1", frozenset(Scope))
RUNS = itertools.count()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(updated=st.lists(st.integers(0, 3), min_size=0, max_size=8), batch=st.integers(1, 3),
       split=st.booleans())
def test_items_come_newest_first_each_once_however_the_batches_and_filters_cut_them(
        store, updated, batch, split):
    run = next(RUNS)
    product = f"prod-run{run}"
    made = [item(f"itm_{run}_{n}", sku=f"R{run}-{n}", updated_at=at(100 + second),
                 location_id=LOCATION if n % 2 else OTHER_LOCATION)
            for n, second in enumerate(updated)]
    made = [m.model_copy(update={"product_id": product}) for m in made]
    create_items(store, made)
    # one filter, or one per location (merged): the same items in the same order
    filters = ([ItemFilter(product_id=product, location_id=LOCATION),
                ItemFilter(product_id=product, location_id=OTHER_LOCATION)] if split
               else [ItemFilter(product_id=product)])
    walked = [i.id for i in recent_items.newest_first(bootstrap.services(), ACTOR, filters, None, batch)]
    assert walked == [i.id for i in sorted(made, key=lambda i: (i.updated_at, i.id), reverse=True)]
    # from any item's key, what follows it
    for position, one in enumerate(walked):
        mine = next(m for m in made if m.id == one)
        rest = recent_items.newest_first(bootstrap.services(), ACTOR, filters,
                                         recent_items.key_of(mine), batch)
        assert [i.id for i in rest] == walked[position + 1:]


def test_only_active_items_of_the_organization_that_match_the_filter(store):
    create_items(store, [item("itm_a", sku="A", updated_at=at(5)),
                         item("itm_b", sku="B", updated_at=at(9), room_type=RoomType.VAULT),
                         item("itm_c", sku="C", updated_at=at(7), archived_at=at(8)),
                         item("itm_d", sku="D", updated_at=at(6), organization_id=OTHER_ORG)])
    floor = ItemFilter(room_type=RoomType.SALES_FLOOR)
    assert [i.id for i in store.items_by_update(ORG, floor, None, 10)] == ["itm_a"]
    assert [i.id for i in store.items_by_update(ORG, ItemFilter(), None, 10)] == ["itm_b", "itm_a"]
    assert [i.id for i in store.items_by_update(ORG, ItemFilter(updated_after=at(6)), None, 10)] == ["itm_b"]
    assert store.items_by_update(ORG, ItemFilter(), ("2026-01-05T12:00:05.000000Z", "itm_a"), 10) == []
