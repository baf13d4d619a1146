"""p50/p99 of GET /api/v1/inventory/{id} served by get_inventory_item vs the bare hello function,
both under functions-framework, one keep-alive client, after a warm-up. Target p50 <= 2x."""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import time

import requests

from harness import ROOT, demo_data_dir, first_response, metric, start_function, stop, table


def timings(url: str, headers: dict, count: int) -> list[float]:
    session = requests.Session()
    for _ in range(50):
        session.get(url, headers=headers, timeout=5)
    found = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, headers=headers, timeout=5)
        found.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return found


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="200 requests")
    args = parser.parse_args()
    count = 200 if args.quick else args.requests
    data_dir, key = demo_data_dir()
    headers = {"Authorization": f"Bearer {key}"}
    results = {}
    for label, source, target in [("hello (baseline)", ROOT / "bench/baseline_hello/main.py", "hello"),
                                  ("get_inventory_item", ROOT / "functions/get_inventory_item/main.py",
                                   "get_inventory_item")]:
        process, port, started = start_function(source, target, data_dir)
        try:
            base = f"http://127.0.0.1:{port}"
            first_response(base + "/", headers, started, process)
            if target == "hello":
                url = base + "/"
            else:  # the function serves only its own route: take an id from the database
                item_id = sqlite3.connect(data_dir / "inventory.sqlite3").execute(
                    "SELECT id FROM items LIMIT 1").fetchone()[0]
                url = f"{base}/api/v1/inventory/{item_id}"
            results[label] = timings(url, headers, count)
        finally:
            stop(process)
    base = results["hello (baseline)"]
    rows = []
    for label, values in results.items():
        rows.append([label, f"{statistics.median(values) * 1000:.2f}", f"{percentile(values, 99) * 1000:.2f}",
                     f"{statistics.median(values) / statistics.median(base):.2f}"])
    table(f"Latency over {count} sequential keep-alive requests", ["function", "p50 ms", "p99 ms", "p50 x bare"], rows)
    item = results["get_inventory_item"]
    metric("latency.get_item.p50", statistics.median(item), "s", statistics.median(base), "<= 2")
    metric("latency.get_item.p99", percentile(item, 99), "s", percentile(base, 99), "report")


if __name__ == "__main__":
    main()
