"""Square's lists walked page by page through the gateway, on both stores: whatever the page
size, the pages hold every count (an item's IN_STOCK and RESERVED_FOR_SALE counts may fall on
two pages) and every change once, in the order Square promises — the cursor is a keyset cursor
the store reads from."""
from __future__ import annotations

import pytest


def walk(api, path: str, body: dict, name: str, limit: int | None) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        sent = {**body, **({"limit": limit} if limit else {}), **({"cursor": cursor} if cursor else {})}
        response = api.post(path, sent, idempotency_key=False)
        assert response.status == 200, response
        pages.append(response.json.get(name, []))
        cursor = response.json.get("cursor")
        if cursor is None:
            return pages


@pytest.fixture
def stocked(api, location) -> list[dict]:
    """Six items of six products on the sales floor, three holding reserved units, each sold once."""
    made = [api.item(location["id"], sku=f"SQP-{n}", product_id=f"sqp_{n}", quantity=10 + n)
            for n in range(6)]
    for n, one in enumerate(made):
        if n % 2 == 0:
            response = api.patch(f"/api/v1/inventory/{one['id']}", {"reserved_quantity": 2})
            assert response.status == 200, response
        response = api.patch(f"/api/v1/inventory/{one['id']}", {"quantity_change": -1, "reason_code": "SALE"})
        assert response.status == 200, response
    return made


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_counts_pages_hold_every_count_once_newest_first(api, stocked, limit):
    body = {"catalog_object_ids": sorted({one["product_id"] for one in stocked})}
    [everything] = walk(api, "/v2/inventory/counts/batch-retrieve", body, "counts", None)
    assert len(everything) == len(stocked) + 3  # three items hold reserved units
    stamps = [count["calculated_at"] for count in everything]
    assert stamps == sorted(stamps, reverse=True)
    pages = walk(api, "/v2/inventory/counts/batch-retrieve", body, "counts", limit)
    assert [count for page in pages for count in page] == everything
    assert all(len(page) == limit for page in pages[:-1]) and 1 <= len(pages[-1]) <= limit
    reserved = walk(api, "/v2/inventory/counts/batch-retrieve", {**body, "states": ["RESERVED_FOR_SALE"]},
                    "counts", limit)
    assert [c for page in reserved for c in page] == [c for c in everything if c["state"] == "RESERVED_FOR_SALE"]


@pytest.mark.parametrize("limit", [1, 4])
def test_changes_pages_hold_every_change_once_oldest_first_and_one_objects_newest_first(
        api, stocked, limit):
    body = {"catalog_object_ids": sorted({one["product_id"] for one in stocked})}
    [everything] = walk(api, "/v2/inventory/changes/batch-retrieve", body, "changes", None)
    assert len(everything) == 2 * len(stocked)  # an opening entry and a sale each
    pages = walk(api, "/v2/inventory/changes/batch-retrieve", body, "changes", limit)
    assert [change for page in pages for change in page] == everything
    times = [(c.get("adjustment") or c.get("physical_count"))["occurred_at"] for c in everything]
    assert times == sorted(times)
    sold = walk(api, "/v2/inventory/changes/batch-retrieve", {**body, "states": ["SOLD"]}, "changes", limit)
    assert [c for page in sold for c in page] == [
        c for c in everything if c.get("adjustment", {}).get("to_state") == "SOLD"]
    product = stocked[0]["product_id"]
    ids, cursor = [], None
    while True:
        response = api.get(f"/v2/inventory/{product}/changes", query={"cursor": cursor} if cursor else None)
        assert response.status == 200, response
        ids += [(c.get("adjustment") or c.get("physical_count"))["id"] for c in response.json.get("changes", [])]
        cursor = response.json.get("cursor")
        if cursor is None:
            break
    own = [c for c in everything if c["adjustment" if "adjustment" in c else "physical_count"]
           ["catalog_object_id"] == product]
    assert ids == [(c.get("adjustment") or c.get("physical_count"))["id"] for c in own][::-1]
