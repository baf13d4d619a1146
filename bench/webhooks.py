"""Webhook delivery in the embedded mode a user runs locally (`python -m inventory.local.server`:
SQLite, the local bus, the delivery worker in one of its worker processes) to a real receiver on
127.0.0.1.

1. Latency: from just before each PATCH adjustment to the arrival of its inventory.updated
   webhook, p50/p99, vs one bare signed POST (keep-alive requests.Session, as our sender) of
   the same payload to the same receiver.
2. Fan-out: 100 subscriptions, one adjustment, until all 100 deliveries arrived, vs a sequential
   loop of 100 signed POSTs to the same receiver paths. Target: ours_rate >= 0.5x bare_rate.

Ours and bare alternate, so the machine's noise falls on both alike, and each timed run starts
once the server has gone idle.

Every delivery is checked with the public `standardwebhooks` library against its subscription's
secret, and matched to its adjustment by the Idempotency-Key the webhook echoes back.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from standardwebhooks.webhooks import Webhook

from harness import metric, table
from inventory.local.loopback import free_port

FAN_OUT = 100


class Receiver:
    """A keep-alive (HTTP/1.1) receiver that records each POST's arrival and answers 204.
    Arrival is taken once the whole body is read, before answering, on the bench's clock."""

    def __init__(self):
        self.arrivals: dict[str, list[dict]] = {}  # by first path segment: "/fan/7" -> "fan"
        self._changed = threading.Condition()
        self._awaited: tuple[str, int] | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                at = time.perf_counter()
                group = self.path.split("/")[1]
                with receiver._changed:
                    found = receiver.arrivals.setdefault(group, [])
                    found.append({"at": at, "path": self.path, "body": body.decode(),
                                  "headers": dict(self.headers), "peer": self.client_address})
                    if receiver._awaited == (group, len(found)):  # wake the bench only when done
                        receiver._changed.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_count(self, count: int, group: str, timeout_s: float = 30) -> list[dict]:
        """Block until `count` arrivals in all on /`group`…; returns them in arrival order."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            self._awaited = (group, count)
            try:
                while len(found := self.arrivals.get(group, [])) < count:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise RuntimeError(f"/{group}: {len(found)} of {count} webhooks arrived")
                    self._changed.wait(left)
                return list(found)
            finally:
                self._awaited = None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class LocalServer:
    """`python -m inventory.local.server` on a scratch data directory, loopback webhooks allowed."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="inventory-bench-webhooks-"))
        self.port = free_port()
        env = dict(os.environ, INVENTORY_DATA_DIR=str(self.folder / "data"), INVENTORY_STORE="sqlite",
                   INVENTORY_EVENTS="local", INVENTORY_WEBHOOK_ALLOW_LOOPBACK="1")
        self.log = open(self.folder / "server.log", "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "inventory.local.server",
                                         "--port", str(self.port)],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.session = requests.Session()
        deadline = time.monotonic() + 30
        while True:
            try:
                self.session.get(self.base + "/inventory", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or its first answer is slow
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"local server did not start; see {self.folder / 'server.log'}")
                time.sleep(0.05)
        key = (self.folder / "data" / "demo-api-key").read_text().strip()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def call(self, method: str, path: str, body=None, key: str | None = None) -> requests.Response:
        headers = {"Idempotency-Key": key or uuid.uuid4().hex} if method != "GET" else {}
        return self.session.request(method, self.base + path, json=body, headers=headers, timeout=30)

    def subscribe(self, url: str) -> dict:
        response = self.call("POST", "/webhooks", {"url": url, "events": ["inventory.updated"]})
        assert response.status_code == 201, response.text
        return response.json()["data"]

    def adjust(self, item_id: str, change: int, key: str) -> None:
        response = self.call("PATCH", f"/inventory/{item_id}",
                             {"quantity_change": change, "reason_code": "ADJUSTMENT"}, key)
        assert response.status_code == 200, response.text

    def cpu_ticks(self) -> int:
        """CPU time the server has used: its own process and its worker processes."""
        pid = self.process.pid
        workers = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = 0
        for process in [pid, *workers]:
            try:
                fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # a worker that has just exited
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total

    def wait_idle(self, window_s: float = 0.03, timeout_s: float = 1) -> None:
        """Until the server used no CPU for a window, before each timed run of ours or bare: the
        server's tail work (recording the attempt, the worker's next turn) must not slow the
        bare POSTs, and both start from the same quiet machine."""
        deadline = time.monotonic() + timeout_s
        before = self.cpu_ticks()
        while time.monotonic() < deadline:
            time.sleep(window_s)
            now = self.cpu_ticks()
            if now == before:
                return
            before = now

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.close()


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def verified(arrival: dict, secret: str, key: str) -> dict:
    """The payload, checked by the standardwebhooks library and matched to its adjustment."""
    payload = Webhook(secret).verify(arrival["body"], arrival["headers"])
    assert payload["type"] == "inventory.updated", payload["type"]
    assert payload["data"]["change"]["idempotency_key"] == key, (payload["data"]["change"], key)
    return payload


def bare_post(session: requests.Session, url: str, secret: str, body: str) -> None:
    """One signed POST the way our sender makes it: Standard Webhooks HMAC, keep-alive session."""
    message_id = "msg_" + uuid.uuid4().hex
    now = datetime.now(timezone.utc)
    headers = {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(secret).sign(message_id, now, body),
               "content-type": "application/json"}
    response = session.post(url, data=body.encode(), headers=headers, timeout=10, allow_redirects=False)
    assert response.status_code == 204, response.status_code


def latency(server: LocalServer, receiver: Receiver, item_id: str, count: int,
            warmup: int) -> tuple[dict, list[float], str]:
    """Adjustment -> arrival of its webhook, one at a time, each followed by one bare signed POST
    of the same payload (interleaved, so the machine's noise falls on both alike)."""
    subscription = server.subscribe(receiver.url("/latency"))
    session = requests.Session()
    ours, bare = {"delivered": [], "answered": []}, []
    for n in range(warmup + count):
        key = f"bench-latency-{uuid.uuid4().hex}"
        server.wait_idle()
        started = time.perf_counter()
        server.adjust(item_id, 1 if n % 2 == 0 else -1, key)
        answered = time.perf_counter()
        arrival = receiver.wait_count(n + 1, "latency")[n]
        verified(arrival, subscription["secret"], key)
        body = arrival["body"]  # a real payload, so the bare POST carries the same bytes

        server.wait_idle()
        bare_started = time.perf_counter()
        bare_post(session, receiver.url("/bare"), subscription["secret"], body)
        bare_arrival = receiver.wait_count(n + 1, "bare")[n]
        Webhook(subscription["secret"]).verify(bare_arrival["body"], bare_arrival["headers"])
        if n >= warmup:
            ours["delivered"].append(arrival["at"] - started)
            ours["answered"].append(answered - started)
            bare.append(bare_arrival["at"] - bare_started)
    response = server.call("DELETE", f"/webhooks/{subscription['id']}")
    assert response.status_code == 200, response.text
    return ours, bare, body


def fan_out(server: LocalServer, receiver: Receiver, item_id: str, rounds: int,
            body: str) -> tuple[list[dict], list[dict]]:
    """One adjustment to FAN_OUT subscriptions, each time followed by a sequential loop of
    FAN_OUT signed POSTs to the same receiver (one keep-alive session, as our sender)."""
    secrets = {}
    for n in range(FAN_OUT):
        subscription = server.subscribe(receiver.url(f"/fan/{n}"))
        secrets[f"/fan/{n}"] = subscription["secret"]
    session = requests.Session()
    ours, bare, seen = [], [], set()
    for r in range(rounds):
        key = f"bench-fan-{uuid.uuid4().hex}"
        server.wait_idle()
        started = time.perf_counter()
        server.adjust(item_id, 1 if r % 2 == 0 else -1, key)
        answered = time.perf_counter()
        arrivals = receiver.wait_count(FAN_OUT * (r + 1), "fan")[FAN_OUT * r:]
        assert sorted(a["path"] for a in arrivals) == sorted(secrets), "a subscriber got none or two"
        assert len({a["headers"]["webhook-id"] for a in arrivals}) == 1, "one event, one webhook-id"
        for arrival in arrivals:
            verified(arrival, secrets[arrival["path"]], key)
        times = sorted(a["at"] - started for a in arrivals)
        peers = {a["peer"] for a in arrivals}
        ours.append({"all": times[-1], "first": times[0], "answered": answered - started,
                     "connections": len(peers), "new_connections": len(peers - seen)})
        seen |= peers

        server.wait_idle()
        started = time.perf_counter()
        for n in range(FAN_OUT):
            bare_post(session, receiver.url(f"/bare-fan/{n}"), secrets[f"/fan/{n}"], body)
        arrivals = receiver.wait_count(FAN_OUT * (r + 1), "bare-fan")[FAN_OUT * r:]
        peers = {a["peer"] for a in arrivals}
        bare.append({"all": max(a["at"] for a in arrivals) - started, "connections": len(peers),
                     "new_connections": len(peers - seen)})
        seen |= peers
    return ours, bare


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--adjustments", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=10, help="fan-out events")
    parser.add_argument("--quick", action="store_true", help="30 adjustments, 5 fan-out events")
    args = parser.parse_args()
    count, rounds = (30, 5) if args.quick else (args.adjustments, args.rounds)
    warmup = 5

    receiver = Receiver()
    server = LocalServer()
    try:
        items = server.call("GET", "/inventory").json()["data"]
        item_id = next(i["id"] for i in items if i["sku"] == "BD-35")
        ours, bare, body = latency(server, receiver, item_id, count, warmup)
        fan, bare_fan = fan_out(server, receiver, item_id, rounds, body)
    finally:
        server.stop()
        receiver.stop()
    shutil.rmtree(server.folder, ignore_errors=True)

    def ms(values, q=None):
        return f"{(statistics.median(values) if q is None else percentile(values, q)) * 1000:.2f}"

    delivered = ours["delivered"]
    rows = []
    for label, values in [("bare signed POST (baseline)", bare), ("PATCH answered", ours["answered"]),
                          ("PATCH -> webhook arrived", delivered)]:
        rows.append([label, ms(values), ms(values, 99), f"{max(values) * 1000:.2f}",
                     f"{statistics.median(values) / statistics.median(bare):.2f}"])
    table(f"Event-to-delivery latency, {count} sequential adjustments after {warmup} warm-up "
          f"({len(body)}-byte payload, all {count + warmup} signatures verified)",
          ["path", "p50 ms", "p99 ms", "max ms", "p50 x bare"], rows)
    all_ours, all_bare = (statistics.median(f["all"] for f in runs) for runs in (fan, bare_fan))

    def connections(runs):
        return (f"{max(f['connections'] for f in runs)} "
                f"({sum(f['new_connections'] for f in runs[1:])} after round 1)")

    table(f"Fan-out of one event to {FAN_OUT} subscriptions, median of {rounds} "
          f"(all {rounds * FAN_OUT} signatures verified)",
          ["path", "PATCH answered ms", "first ms", "all ms", "deliveries/s", "TCP connections"],
          [["bare sequential signed POSTs (baseline)", "", "", f"{all_bare * 1000:.1f}",
            f"{FAN_OUT / all_bare:.0f}", connections(bare_fan)],
           ["local server (PATCH -> all arrived)",
            f"{statistics.median(f['answered'] for f in fan) * 1000:.1f}",
            f"{statistics.median(f['first'] for f in fan) * 1000:.1f}", f"{all_ours * 1000:.1f}",
            f"{FAN_OUT / all_ours:.0f}", connections(fan)]])
    metric("webhooks.latency.p50", statistics.median(delivered), "s", statistics.median(bare), "report")
    metric("webhooks.latency.p99", percentile(delivered, 99), "s", percentile(bare, 99), "report")
    metric("webhooks.fan_out.rate", FAN_OUT / all_ours, "deliveries/s", FAN_OUT / all_bare, ">= 0.5")


if __name__ == "__main__":
    main()
