"""No lost update: concurrent adjustments of one item through the HTTP functions all count."""
from __future__ import annotations

import threading

import pytest

from conftest import Api

THREADS, PER_THREAD = 8, 50


@pytest.fixture(autouse=True)
def _sqlite_only_for_now(backend):
    # GAP: on the Firestore emulator this test ran over 6 minutes without finishing (8 threads
    # contending for one document's lock); the adapter's retry and backoff under that contention
    # is not yet shown there. Tracked in the Firestore issue.
    if backend == "firestore":
        pytest.skip("contention on the Firestore emulator not yet shown to finish in time")


def test_concurrent_sales_on_one_item_are_all_applied_exactly(api, gateway, location):
    item = api.item(location["id"], quantity=THREADS * PER_THREAD + 7)
    failures: list = []
    lowest = []

    def sell():
        client = Api(gateway, api.key)  # one client per thread, one shared store
        for _ in range(PER_THREAD):
            response = client.patch(f"/api/v1/inventory/{item['id']}",
                                    {"quantity_change": -1, "reason_code": "SALE"})
            if response.status != 200:
                failures.append(response)
            else:
                lowest.append(response.json["data"]["quantity"])

    threads = [threading.Thread(target=sell) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    final = api.get(f"/api/v1/inventory/{item['id']}").json["data"]
    assert final["quantity"] == 7
    assert final["version"] == THREADS * PER_THREAD + 1
    assert min(lowest) >= 0 and sorted(lowest) == list(range(7, 7 + THREADS * PER_THREAD))
    changes = api.changes(item["id"])
    assert len(changes) == THREADS * PER_THREAD + 1
    assert sum(c["quantity_change"] for c in changes) == final["quantity"]


def test_concurrent_sales_never_oversell(api, gateway, location):
    item = api.item(location["id"], quantity=30, sku="SCARCE")
    statuses: list[int] = []

    def sell():
        client = Api(gateway, api.key)
        for _ in range(10):
            statuses.append(client.patch(f"/api/v1/inventory/{item['id']}",
                                         {"quantity_change": -1, "reason_code": "SALE"}).status)

    threads = [threading.Thread(target=sell) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) == 30 and statuses.count(409) == THREADS * 10 - 30
    assert api.get(f"/api/v1/inventory/{item['id']}").json["data"]["quantity"] == 0
