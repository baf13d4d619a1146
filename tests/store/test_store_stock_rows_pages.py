"""Pages of stock rows on every store (store.stock_rows_page): by date (date, location,
product) or by product (product, location, date), either way round, from a keyset key or an
offset, and the count — what Datawiz's collection pages read."""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings, strategies as st

from inventory.service.ports import STOCK_ROW_ORDERS, StockRow

from .builders import ORG, OTHER_ORG

RUNS = itertools.count()
KEYS = st.sets(st.tuples(st.sampled_from(["loc_a", "loc_b"]), st.sampled_from(["p1", "p2", "p10"]),
                         st.sampled_from(["2026-11-28", "2026-11-29", "2026-11-30"])), max_size=10)


def row(organization_id: str, location_id: str, product_id: str, date: str) -> StockRow:
    return StockRow(organization_id=organization_id, location_id=location_id, product_id=product_id,
                    date=date, qty="1.0000", original_price=None,
                    recorded_at="2026-11-30T12:00:00.000000Z")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=KEYS, order=st.sampled_from(sorted(STOCK_ROW_ORDERS)), descending=st.booleans(),
       size=st.integers(1, 4))
def test_pages_by_key_and_by_offset_walk_every_row_once_in_order(store, keys, order, descending, size):
    organization = f"org_rows_{next(RUNS)}"
    rows = [row(organization, *key) for key in keys]
    store.transact(lambda tx: [tx.save_stock_row(r) for r in rows]
                   + [tx.save_stock_row(row(OTHER_ORG, "loc_a", "p1", "2026-11-30"))])
    fields = STOCK_ROW_ORDERS[order]
    expected = sorted(rows, key=lambda r: tuple(getattr(r, f) for f in fields), reverse=descending)
    assert store.stock_row_count(organization) == len(rows)
    by_key, after = [], None
    while True:
        page = store.stock_rows_page(organization, order, descending, after, 0, size)
        by_key += page
        if len(page) < size:
            break
        after = tuple(getattr(page[-1], f) for f in fields)
    assert by_key == expected
    by_offset = [r for start in range(0, len(rows) + 1, size)
                 for r in store.stock_rows_page(organization, order, descending, None, start, size)]
    assert by_offset == expected
    assert store.stock_rows_page(ORG, order, descending, None, 0, 5) == []
