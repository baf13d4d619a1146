"""Datawiz's collection walked by its `next` links, on both stores: every row once, in each
ordering, whatever the page size — each link carries the keyset cursor the store reads the next
page from — and a cursor none of its links carried is their 404."""
from __future__ import annotations

import pytest

from inventory import bootstrap
from inventory.service.ports import StockRow

COLLECTION = "/api/v1/product-inventory/"


@pytest.fixture
def rows(api, location) -> list[StockRow]:
    """Eleven kept rows over three days and two products' worth of ids."""
    kept = [StockRow(organization_id=api.organization_id, location_id=location["id"],
                     product_id=f"prod-{n % 4}-{n}", date=f"2026-11-{28 + n % 3}", qty=str(n),
                     original_price=None, recorded_at="2026-11-30T12:00:00.000000Z")
            for n in range(11)]
    bootstrap.services().store.transact(lambda tx: [tx.save_stock_row(r) for r in kept])
    return kept


def walk(api, **query) -> list[list[dict]]:
    pages, response = [], api.get(COLLECTION, query=query)
    while True:
        assert response.status == 200, response
        pages.append(response.json["results"])
        assert response.json["count"] == 11
        if response.json["next"] is None:
            return pages
        assert "cursor=" in response.json["next"]
        response = api.get(response.json["next"])


@pytest.mark.parametrize("ordering,key", [
    (None, lambda r: (r.date, r.location_id, r.product_id)),
    ("identifier", lambda r: (r.date, r.location_id, r.product_id)),
    ("-identifier", lambda r: (r.date, r.location_id, r.product_id)),
    ("name", lambda r: (r.product_id, r.location_id, r.date)),
    ("-name", lambda r: (r.product_id, r.location_id, r.date))])
@pytest.mark.parametrize("size", [1, 4])
def test_next_links_walk_every_row_once_in_the_ordering(api, rows, ordering, key, size):
    query = {"page_size": size, **({"ordering": ordering} if ordering else {})}
    pages = walk(api, **query)
    expected = sorted(rows, key=key, reverse=bool(ordering and ordering.startswith("-")))
    assert [(r["date"], r["product_id"]) for page in pages for r in page] == [
        (r.date, r.product_id) for r in expected]
    assert all(len(page) == size for page in pages[:-1])
    # a page by its number alone (an offset) is the same page
    assert api.get(COLLECTION, query={**query, "page": 2}).json["results"] == pages[1]


@pytest.mark.parametrize("cursor", ["bm90LW91cnM", "x", "cm93cy1kYXRlLWFzYzpbMV0"])
def test_a_cursor_none_of_its_links_carried_is_their_404(api, rows, cursor):
    response = api.get(COLLECTION, query={"cursor": cursor, "page": 2})
    assert (response.status, response.json) == (404, {"detail": "Invalid cursor."})
    # a cursor of one ordering is not one of another's
    first = api.get(COLLECTION, query={"page_size": 2, "ordering": "name"}).json
    response = api.get(first["next"].replace("ordering=name", "ordering=-name"))
    assert (response.status, response.json) == (404, {"detail": "Invalid cursor."})
