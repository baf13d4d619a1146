"""Shared by the benchmarks: free ports, functions-framework processes, demo data, result lines."""
from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import requests

from inventory.local.loopback import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def demo_data_dir() -> tuple[Path, str]:
    """A scratch data directory holding the demo organization; returns it and the demo key."""
    folder = Path(tempfile.mkdtemp(prefix="inventory-bench-")) / "data"
    env = dict(os.environ, INVENTORY_DATA_DIR=str(folder), INVENTORY_STORE="sqlite")
    key = subprocess.run([sys.executable, "-m", "inventory.cli", "demo"], env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    return folder, key


def start_function(source: Path, target: str, data_dir: Path | None,
                   environment: dict[str, str] | None = None) -> tuple[subprocess.Popen, int, float]:
    """Start `functions-framework` for one function; returns the process, its port and start time.
    `environment` replaces the embedded store's settings (e.g. Firestore on the emulator)."""
    port = free_port()
    env = dict(os.environ, **(environment or {"INVENTORY_STORE": "sqlite"}))
    if data_dir:
        env["INVENTORY_DATA_DIR"] = str(data_dir)
    started = time.perf_counter()
    process = subprocess.Popen([str(BIN / "functions-framework"), "--source", str(source),
                                "--target", target, "--host", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port, started


def first_response(url: str, headers: dict, started: float, process: subprocess.Popen,
                   method: str = "GET", timeout_s: float = 30) -> float:
    """Seconds from process start to the first HTTP answer (any status) from the function."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            requests.request(method, url, headers=headers, timeout=2)
            return time.perf_counter() - started
        except requests.ConnectionError:
            time.sleep(0.005)
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited")
    raise RuntimeError(f"{url} did not answer")


def peak_rss_kb(process: subprocess.Popen) -> int:
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


def peak_python_mib(work) -> float:
    """Peak Python memory (tracemalloc) while `work()` runs, in MiB."""
    gc.collect()
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def median(values) -> float:
    return statistics.median(values)


def table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    for row in [header, *rows]:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def metric(name: str, value: float, unit: str, baseline: float, target: str) -> None:
    ratio = value / baseline if baseline else None
    print(json.dumps({"metric": name, "value": round(value, 6), "unit": unit,
                      "baseline": round(baseline, 6), "ratio": round(ratio, 3) if ratio else None,
                      "target": target}))
