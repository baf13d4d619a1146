"""Cold start of every HTTP function (process start to first response) vs a bare hello function,
on the embedded store and on Firestore (Google's emulator on loopback).

Each run is a fresh `functions-framework` process with the demo data; the first request is an
authenticated GET on one of the function's paths (for a write-only route the function answers
405/4xx from its own code, which is still its first response, after authenticating against the
store). Target: median cold start <= 1.5x the bare function's. A second reference, a bare function
that reads one Firestore document with Google's client library, shows how much of a Firestore
cold start is the client library's own (its import alone is about 0.35 s). Also reports the
time to import each function's module and peak RSS per function.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import (ROOT, demo_data_dir, first_response, median, metric, peak_rss_kb,
                     start_function, stop, table)
from inventory.local import emulators
from inventory.manifest import load

IMPORT = "import runpy, sys, time; t = time.perf_counter(); runpy.run_path(sys.argv[1]); " \
         "print(time.perf_counter() - t)"


def measure(source, target, path, data_dir, key, runs, environment=None):
    times, rss = [], []
    for _ in range(runs):
        process, port, started = start_function(source, target, data_dir, environment)
        try:
            times.append(first_response(f"http://127.0.0.1:{port}{path}",
                                        {"Authorization": f"Bearer {key}"}, started, process))
            rss.append(peak_rss_kb(process))
        finally:
            stop(process)
    return median(times), median(rss)


def import_seconds(source: Path, runs: int) -> float:
    """Median time to import the function's module in a fresh interpreter (lazy imports show here)."""
    return median(float(subprocess.run([sys.executable, "-c", IMPORT, str(source)], check=True,
                                       capture_output=True, text=True, cwd=source.parent).stdout)
                  for _ in range(runs))


def firestore_demo(host: str) -> tuple[dict[str, str], str]:
    """The demo organization on the Firestore emulator; returns the functions' settings and key."""
    environment = {"INVENTORY_STORE": "firestore", "FIRESTORE_EMULATOR_HOST": host,
                   "GOOGLE_CLOUD_PROJECT": "inventory-bench"}
    os.environ.update(environment)
    from inventory import bootstrap
    from inventory.local.demo import ensure_demo
    bootstrap.reset()
    return environment, ensure_demo(bootstrap.services(), Path(tempfile.mkdtemp()) / "demo-api-key")


def first_path(function) -> str:
    return function.routes[0].path.replace("{item_id}", "itm_missing").replace(
        "{subscription_id}", "whk_missing").replace("{location_id}", "loc_missing").replace(
        "{sync_id}", "syn_missing").replace("{delivery_id}", "dlv_missing")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 runs")
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    data_dir, sqlite_key = demo_data_dir()
    base_time, base_rss = measure(ROOT / "bench/baseline_hello/main.py", "hello", "/", None,
                                  sqlite_key, runs)
    base_import = import_seconds(ROOT / "bench/baseline_hello/main.py", runs)
    functions = [f for f in load(ROOT).functions if f.routes]
    rows = [["hello (baseline)", f"{base_import * 1000:.0f}", f"{base_time * 1000:.0f}", "1.00",
             f"{base_time * 1000:.0f}", "1.00", base_rss]]
    results = []
    with emulators.firestore() as host:
        environment, firestore_key = firestore_demo(host)
        floor_time, floor_rss = measure(ROOT / "bench/baseline_firestore/main.py", "read_one", "/",
                                        None, firestore_key, runs, environment)
        rows.append(["Firestore client, one read (floor)", "", "", "",
                     f"{floor_time * 1000:.0f}", f"{floor_time / base_time:.2f}", floor_rss])
        for function in functions:
            path = first_path(function)
            imported = import_seconds(function.main, runs)
            on_sqlite, _ = measure(function.main, function.name, path, data_dir, sqlite_key, runs)
            on_firestore, rss = measure(function.main, function.name, path, None, firestore_key,
                                        runs, environment)
            rows.append([function.name, f"{imported * 1000:.0f}", f"{on_sqlite * 1000:.0f}",
                         f"{on_sqlite / base_time:.2f}", f"{on_firestore * 1000:.0f}",
                         f"{on_firestore / base_time:.2f}", rss])
            results += [(f"cold_start.sqlite.{function.name}", on_sqlite, base_time, "<= 1.5"),
                        (f"cold_start.firestore.{function.name}", on_firestore, base_time, "<= 1.5"),
                        (f"cold_start.firestore_over_floor.{function.name}", on_firestore,
                         floor_time, "report"),
                        (f"import.{function.name}", imported, base_import, "report")]
    table(f"Cold start, median of {runs} fresh processes (process start to first response)",
          ["function", "import ms", "SQLite ms", "x bare", "Firestore ms", "x bare",
           "peak RSS kB (Firestore)"], rows)
    for name, seconds, baseline, target in results:
        metric(name, seconds, "s", baseline, target)


if __name__ == "__main__":
    main()
