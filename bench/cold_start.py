"""Cold start of every HTTP function (process start to first response) vs a bare hello function.

Each run is a fresh `functions-framework` process on the embedded store with the demo data;
the first request is an authenticated GET on one of the function's paths (for a write-only
route the function answers 405/4xx from its own code, which is still its first response).
Target: median cold start <= 1.5x the bare function's. Also reports peak RSS per function.
"""
from __future__ import annotations

import argparse

from harness import (ROOT, demo_data_dir, first_response, median, metric, peak_rss_kb,
                     start_function, stop, table)
from inventory.manifest import load


def measure(source, target, path, data_dir, key, runs):
    times, rss = [], []
    for _ in range(runs):
        process, port, started = start_function(source, target, data_dir)
        try:
            times.append(first_response(f"http://127.0.0.1:{port}{path}",
                                        {"Authorization": f"Bearer {key}"}, started, process))
            rss.append(peak_rss_kb(process))
        finally:
            stop(process)
    return median(times), median(rss)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 runs")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    data_dir, key = demo_data_dir()
    base_time, base_rss = measure(ROOT / "bench/baseline_hello/main.py", "hello", "/", None, key, runs)
    rows, results = [["hello (baseline)", f"{base_time * 1000:.0f}", "1.00", base_rss]], []
    for function in load(ROOT).functions:
        if not function.routes:
            continue
        path = function.routes[0].path.replace("{item_id}", "itm_missing").replace(
            "{subscription_id}", "whk_missing").replace("{location_id}", "loc_missing").replace(
            "{sync_id}", "syn_missing").replace("{delivery_id}", "dlv_missing")
        seconds, rss = measure(function.main, function.name, path, data_dir, key, runs)
        rows.append([function.name, f"{seconds * 1000:.0f}", f"{seconds / base_time:.2f}", rss])
        results.append((function.name, seconds))
    table(f"Cold start, median of {runs} fresh processes (SQLite store)",
          ["function", "ms to first response", "x bare", "peak RSS kB"], rows)
    for name, seconds in results:
        metric(f"cold_start.{name}", seconds, "s", base_time, "<= 1.5")


if __name__ == "__main__":
    main()
