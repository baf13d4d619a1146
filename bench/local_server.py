"""The local server a user starts with `make run` (`python -m inventory.local.server`: the gateway,
every function, the background worker) vs the bare hello function under functions-framework.

1. Cold start: process start to the first answer of an authenticated GET of one item, on a data
   directory that already holds the demo (median of 5 fresh processes).
2. Latency: p50/p99 of GET /api/v1/inventory/{id} over one keep-alive client after a warm-up,
   vs GET / of the bare function the same way.
3. Webhooks across workers: PATCH -> arrival of its webhook at a receiver on 127.0.0.1 when the
   PATCH is served by a worker without the background work (which nudges the holder through a
   pipe) vs by the worker that runs it (the in-process wake-up), alternating, one at a time.

`latency.py` and `cold_start.py` measure each function alone, as it runs in the cloud; this one
measures what `make run` serves. Targets: report (compare the ratios from run to run).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from harness import (ROOT, demo_data_dir, first_response, median, metric, start_function, stop,
                     table)
from inventory.local.background import LOCK_FILE
from inventory.local.loopback import free_port
from latency import percentile, timings
from webhooks import Receiver
from webhooks import percentile as inclusive_percentile


def start_local_server(data_dir, **env_extra) -> tuple[subprocess.Popen, int, float]:
    port = free_port()
    env = dict(os.environ, INVENTORY_DATA_DIR=str(data_dir), INVENTORY_STORE="sqlite", **env_extra)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "inventory.local.server", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, port, started


def workers(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def lock_holder(data_dir: Path) -> int:
    inode = (data_dir / LOCK_FILE).stat().st_ino
    return next(int(line.split()[4]) for line in Path("/proc/locks").read_text().splitlines()
                if line.split()[1] == "FLOCK" and line.split()[5].endswith(f":{inode}"))


def connection_owner(server_port: int, client_port: int, pids: list[int]) -> int:
    """The worker holding the server side of the connection from `client_port` (/proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{server_port:04X}") and fields[2].endswith(f":{client_port:04X}"):
            for pid in pids:
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    try:
                        if os.readlink(fd) == f"socket:[{fields[9]}]":
                            return pid
                    except OSError:
                        continue
    raise RuntimeError(f"no worker holds the connection from port {client_port}")


def webhooks_across_workers(data_dir: Path, key: str, item_id: str, count: int) -> dict[str, list[float]]:
    """PATCH -> webhook arrival, on a connection to the holder of the background work and on one
    to another worker, alternating."""
    receiver = Receiver()
    process, port, started = start_local_server(data_dir, INVENTORY_WEBHOOK_ALLOW_LOOPBACK="1")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    try:
        first_response(f"http://127.0.0.1:{port}/api/v1/inventory", headers, started, process)
        time.sleep(1)  # the workers are up and one holds the background work
        holder, pids = lock_holder(data_dir), workers(process.pid)

        def call(connection, method, path, body=None) -> dict:
            connection.request(method, "/api/v1" + path, headers=dict(headers, **{
                "Idempotency-Key": uuid.uuid4().hex}), body=json.dumps(body) if body else None)
            response = connection.getresponse()
            payload = json.loads(response.read())
            assert response.status < 300, payload
            return payload

        connections: dict[str, http.client.HTTPConnection] = {}
        while len(connections) < 2:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            call(connection, "GET", "/inventory?limit=1")
            owner = connection_owner(port, connection.sock.getsockname()[1], pids)
            connections.setdefault("holder" if owner == holder else "other worker", connection)
        call(connections["holder"], "POST", "/webhooks",
             {"url": receiver.url("/hook"), "events": ["inventory.updated"]})
        found: dict[str, list[float]] = {"holder": [], "other worker": []}
        for n in range(2 * (count + 5)):
            label = "holder" if n % 2 == 0 else "other worker"
            time.sleep(0.05)  # between adjustments, as a client would be
            began = time.perf_counter()
            call(connections[label], "PATCH", f"/inventory/{item_id}",
                 {"quantity_change": 1 if n % 4 < 2 else -1, "reason_code": "ADJUSTMENT"})
            arrival = receiver.wait_count(n + 1, "hook")[n]
            if n >= 10:
                found[label].append(arrival["at"] - began)
        return found
    finally:
        stop(process)
        receiver.stop()


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

    hooks = webhooks_across_workers(data_dir, key, item_id, count // 5)
    base_cold, ours_cold = median(cold["hello (baseline)"]), median(cold["local server"])
    base, ours = latency["hello (baseline)"], latency["local server"]
    table(f"Local server: cold start (median of {runs}) and GET latency ({count} keep-alive requests)",
          ["server", "cold start ms", "x bare", "p50 ms", "p99 ms", "p50 x bare"],
          [[label, f"{median(cold[label]) * 1000:.0f}", f"{median(cold[label]) / base_cold:.2f}",
            f"{statistics.median(latency[label]) * 1000:.2f}",
            f"{percentile(latency[label], 99) * 1000:.2f}",
            f"{statistics.median(latency[label]) / statistics.median(base):.2f}"]
           for label in cold])
    table(f"Local server, 2 workers: PATCH -> webhook arrived, {len(hooks['holder'])} each, alternating",
          ["PATCH served by", "p50 ms", "p99 ms", "max ms", "p50 x holder"],
          [[label, f"{statistics.median(v) * 1000:.2f}", f"{inclusive_percentile(v, 99) * 1000:.2f}",
            f"{max(v) * 1000:.2f}", f"{statistics.median(v) / statistics.median(hooks['holder']):.2f}"]
           for label, v in hooks.items()])
    metric("local_server.cold_start", ours_cold, "s", base_cold, "report")
    metric("local_server.get_item.p50", statistics.median(ours), "s", statistics.median(base), "report")
    metric("local_server.get_item.p99", percentile(ours, 99), "s", percentile(base, 99), "report")
    metric("local_server.webhook_from_other_worker.p50", statistics.median(hooks["other worker"]), "s",
           statistics.median(hooks["holder"]), "report")


if __name__ == "__main__":
    main()
