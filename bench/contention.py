"""Writers contending for one item on Google's Firestore emulator, through update_inventory's real
functions-framework app configured as in the cloud (Firestore store).

For 2, 4 and 8 writers, each makes `--adjustments` PATCHes (-1, SALE) of the same item at once.
Printed per run: successes, 503 `contention` refusals (with Retry-After), any other status,
wall time, the slowest request, and whether the item's quantity and ledger agree with the
successes. The baseline is one writer making as many PATCHes in a row (nobody to contend with),
measured in the same run: the ratio is contended wall time over that.

The emulator takes real locks but settles a conflict by letting the waiting commit time out
(about 2 s) where Firestore wounds the younger transaction, so the emulator is slower here than
Firestore would be; the point is what a caller gets (every request either applied once or
refused with 503 inside the function's timeout), not the emulator's speed.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import functions_framework

from harness import ROOT, metric, table
from inventory import bootstrap
from inventory.local import emulators
from inventory.service.admin import create_api_key, create_organization

WRITERS = (2, 4, 8)
FUNCTION_TIMEOUT_S = 30  # update_inventory's timeout in serverless.yaml (the provider default)


def prepare(emulator: str, start_quantity: int) -> tuple[str, str, str]:
    """A project of its own on the emulator: an organization, its key, and one item."""
    os.environ.update(INVENTORY_STORE="firestore", FIRESTORE_EMULATOR_HOST=emulator,
                      GOOGLE_CLOUD_PROJECT=f"bench-{uuid.uuid4().hex[:10]}", INVENTORY_FEED_SETTLE_S="0")
    bootstrap.reset()
    services = bootstrap.services()
    organization = create_organization(services, "contention bench")
    _, key = create_api_key(services, organization.id, "bench")
    client = app("manage_locations")
    location = client.post("/api/v1/locations", json={"name": "Hot", "time_zone": "UTC"},
                           headers=headers(key)).get_json()["data"]
    created = app("create_inventory_item").post("/api/v1/inventory", headers=headers(key), json={
        "product_id": "p", "product_name": "Hot item", "sku": "HOT-1", "room_type": "sales_floor",
        "quantity": start_quantity, "location_id": location["id"]})
    assert created.status_code == 201, created.get_data(as_text=True)
    return organization.id, key, created.get_json()["data"]["id"]


def app(name: str):
    return functions_framework.create_app(
        target=name, source=str(ROOT / "functions" / name / "main.py")).test_client()


def headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex}


def run(writers: int, adjustments: int, key: str, item_id: str) -> dict:
    """`writers` threads, each with its own app instance, PATCHing the item `adjustments` times."""
    statuses: Counter = Counter()
    slowest = [0.0]
    late = [0]  # answered after the HTTP functions' 30 s timeout: cut off in the cloud
    retry_after: set[str] = set()
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def writer() -> None:
        client = app("update_inventory")
        barrier.wait()
        for _ in range(adjustments):
            started = time.perf_counter()
            response = client.patch(f"/api/v1/inventory/{item_id}", headers=headers(key),
                                    json={"quantity_change": -1, "reason_code": "SALE"})
            took = time.perf_counter() - started
            body = response.get_json(silent=True) or {}
            code = body.get("error", {}).get("code") if response.status_code >= 400 else None
            with lock:
                statuses[(response.status_code, code)] += 1
                slowest[0] = max(slowest[0], took)
                late[0] += took > FUNCTION_TIMEOUT_S
                if response.status_code == 503:
                    retry_after.add(response.headers.get("Retry-After", "missing"))

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"wall": time.perf_counter() - started, "statuses": statuses, "slowest": slowest[0],
            "late": late[0], "retry_after": retry_after}


def consistent(organization_id: str, item_id: str, start_quantity: int, applied: int) -> bool:
    """The item went down by exactly the successes, and its ledger explains its quantity."""
    services = bootstrap.services()
    item = services.store.get_item(organization_id, item_id)
    entries, cursor = [], None
    while True:
        page = services.store.list_changes(organization_id, item_id, cursor, 200)
        entries += page.items
        cursor = page.next_cursor
        if not cursor:
            break
    return (item.quantity == start_quantity - applied
            and sum(e.quantity_change for e in entries) == item.quantity
            and len(entries) == applied + 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--adjustments", type=int, default=10, help="PATCHes per writer")
    parser.add_argument("--quick", action="store_true", help="5 PATCHes per writer")
    parser.add_argument("--firestore-emulator", help="a running emulator (host:port)")
    args = parser.parse_args()
    adjustments = 5 if args.quick else args.adjustments
    start = 1000

    context = (contextlib.nullcontext(args.firestore_emulator) if args.firestore_emulator
               else emulators.firestore())
    rows, results = [], {}
    with context as emulator:
        organization_id, key, item_id = prepare(emulator, start)
        baseline = run(1, adjustments * max(WRITERS), key, item_id)
        assert baseline["statuses"] == Counter({(200, None): adjustments * max(WRITERS)}), baseline
        for writers in WRITERS:
            organization_id, key, item_id = prepare(emulator, start)
            result = run(writers, adjustments, key, item_id)
            applied = result["statuses"][(200, None)]
            refused = sum(n for (status, code), n in result["statuses"].items()
                          if status == 503 and code == "contention")
            other = {f"{s} {c or ''}".strip(): n for (s, c), n in result["statuses"].items()
                     if s not in (200, 503)}
            results[writers] = (result, applied, refused)
            rows.append([writers, writers * adjustments, applied, refused,
                         ", ".join(f"{k}: {v}" for k, v in other.items()) or "none",
                         f"{result['wall']:.1f}", f"{result['slowest']:.1f}", result["late"],
                         ", ".join(sorted(result["retry_after"])) or "-",
                         f"{result['wall'] / baseline['wall']:.1f}",
                         "yes" if consistent(organization_id, item_id, start, applied) else "NO"])
    table(f"Writers on one item, {adjustments} PATCHes each, on the Firestore emulator "
          f"(baseline: one writer, {adjustments * max(WRITERS)} PATCHes in a row, "
          f"{baseline['wall']:.1f} s)",
          ["writers", "PATCHes", "200", "503 contention", "other", "wall s", "slowest s",
           f"over {FUNCTION_TIMEOUT_S} s", "Retry-After", "wall x baseline", "ledger = quantity"], rows)
    per_patch = baseline["wall"] / (adjustments * max(WRITERS))
    for writers, (result, applied, refused) in results.items():
        total = writers * adjustments
        metric(f"contention.{writers}_writers.wall", result["wall"], "s", per_patch * total, "report")
        metric(f"contention.{writers}_writers.applied", applied, "requests", total, "report")
        metric(f"contention.{writers}_writers.slowest", result["slowest"], "s", FUNCTION_TIMEOUT_S,
               f"< {FUNCTION_TIMEOUT_S} (the function's timeout)")
        other = total - applied - refused
        metric(f"contention.{writers}_writers.other_status", other, "requests", total, "0 (no 500)")


if __name__ == "__main__":
    main()
