"""The local server a user starts with `make run` (`python -m inventory.local.server`: the gateway,
every function, the background worker) vs the bare hello function under functions-framework.

1. Cold start: process start to the first answer of an authenticated GET of one item, on a data
   directory that already holds the demo (median of 5 fresh processes).
2. Latency: p50/p99 of GET /api/v1/inventory/{id} over one keep-alive client after a warm-up,
   vs GET / of the bare function the same way.

`latency.py` and `cold_start.py` measure each function alone, as it runs in the cloud; this one
measures what `make run` serves. Targets: report (compare the ratios from run to run).
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time

from harness import (ROOT, demo_data_dir, first_response, median, metric, start_function, stop,
                     table)
from inventory.local.loopback import free_port
from latency import percentile, timings


def start_local_server(data_dir) -> tuple[subprocess.Popen, int, float]:
    port = free_port()
    env = dict(os.environ, INVENTORY_DATA_DIR=str(data_dir), INVENTORY_STORE="sqlite")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "inventory.local.server", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port, started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="3 runs, 200 requests")
    args = parser.parse_args()
    runs, count = (3, 200) if args.quick else (args.runs, args.requests)
    data_dir, key = demo_data_dir()
    headers = {"Authorization": f"Bearer {key}"}
    item_id = sqlite3.connect(data_dir / "inventory.sqlite3").execute(
        "SELECT id FROM items LIMIT 1").fetchone()[0]
    item_path = f"/api/v1/inventory/{item_id}"

    cold = {"hello (baseline)": [], "local server": []}
    latency = {}
    for n in range(runs):  # alternate, so the machine's noise falls on both alike
        for label in cold:
            if label == "local server":
                process, port, started = start_local_server(data_dir)
                path = item_path
            else:
                process, port, started = start_function(ROOT / "bench/baseline_hello/main.py",
                                                        "hello", None)
                path = "/"
            try:
                url = f"http://127.0.0.1:{port}{path}"
                cold[label].append(first_response(url, headers, started, process))
                if n == runs - 1:
                    latency[label] = timings(url, headers, count)
            finally:
                stop(process)

    base_cold, ours_cold = median(cold["hello (baseline)"]), median(cold["local server"])
    base, ours = latency["hello (baseline)"], latency["local server"]
    table(f"Local server: cold start (median of {runs}) and GET latency ({count} keep-alive requests)",
          ["server", "cold start ms", "x bare", "p50 ms", "p99 ms", "p50 x bare"],
          [[label, f"{median(cold[label]) * 1000:.0f}", f"{median(cold[label]) / base_cold:.2f}",
            f"{statistics.median(latency[label]) * 1000:.2f}",
            f"{percentile(latency[label], 99) * 1000:.2f}",
            f"{statistics.median(latency[label]) / statistics.median(base):.2f}"]
           for label in cold])
    metric("local_server.cold_start", ours_cold, "s", base_cold, "report")
    metric("local_server.get_item.p50", statistics.median(ours), "s", statistics.median(base), "report")
    metric("local_server.get_item.p99", percentile(ours, 99), "s", percentile(base, 99), "report")


if __name__ == "__main__":
    main()
