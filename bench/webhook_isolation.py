"""One subscriber that never answers, one that answers 500 and one healthy, on the same events:
does either of the first two hold up the healthy one, and are the failing one's retries on time?

Run on the local server (`python -m inventory.local.server`: SQLite, the in-process worker) and
on the cloud topology (`python -m inventory.local.cloud`: every function its own process on the
Firestore and Pub/Sub emulators, the scheduler's jobs --time-scale 30 times faster), each with
INVENTORY_WEBHOOK_RETRY_SCHEDULE=2,4,8 and the default 10 s timeout. Events: `--events` PATCHes
of one item spread over `--spread` seconds (20 over 5 s), as in the issue that found the delay,
after 3 warm-up events delivered to the healthy subscriber alone.

Printed per topology:
- the healthy subscriber's latency, from just before each PATCH to its webhook's arrival,
  p50/p99, against one bare signed POST (keep-alive session, as our sender) of the same payload
  to the same receiver, made after each PATCH in the same run (the baseline);
- the failing subscriber's gaps between attempts of one event against the schedule (2, 4, 8 s):
  mean and the worst relative error of each step. Locally the worker wakes for each retry; in
  the cloud a retry waits for the next tick of retry_webhook_deliveries (every minute, every 2 s
  at --time-scale 30), so its gaps are late by up to one tick;
- how many posts the hanging subscriber received (the worker keeps at most 4 open at once).
Targets: healthy p99 <= 1 s; retry gaps within 10 % of the schedule.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from standardwebhooks.webhooks import Webhook

from harness import metric, table
from inventory.local.loopback import free_port
from webhooks import bare_post, percentile

sys.path.append(str(Path(__file__).resolve().parents[1] / "tests"))  # after bench/: its modules first
from receiver import HangingReceiver, Receiver  # noqa: E402 - the test suite's receivers

SCHEDULE = (2.0, 4.0, 8.0)
WARMUP = 3  # events before the measured ones, with only the healthy subscriber


class Receivers:
    """The three subscribers, served by the test suite's own receivers (tests/receiver.py):
    /healthy answers 204 at once and takes the baseline's bare posts on /bare too, /failing
    answers 500, and the hanging one reads each post and never answers (the sender times out).
    Each arrival is taken on time.monotonic() once its body is read, the bench's clock."""

    def __init__(self):
        self.healthy = Receiver(status=204, keep_alive=True)
        self.failing = Receiver(status=500, keep_alive=True)
        self.hanging = HangingReceiver()
        self.urls = {"healthy": self.healthy.url("/healthy"), "bare": self.healthy.url("/bare"),
                     "failing": self.failing.url("/failing"), "hang": self.hanging.url()}

    def wait(self, group: str, count: int, timeout_s: float) -> list[dict]:
        """Every arrival at the `group` subscriber, once there are `count` of them."""
        receiver = self.failing if group == "failing" else self.healthy
        return receiver.wait_for(count, timeout_s, path=f"/{group}")

    def stop(self) -> None:
        for receiver in (self.healthy, self.failing, self.hanging):
            receiver.stop()


ENVIRONMENT = {"INVENTORY_WEBHOOK_ALLOW_LOOPBACK": "1", "INVENTORY_FEED_SETTLE_S": "0",
               "INVENTORY_WEBHOOK_RETRY_SCHEDULE": ",".join(f"{s:g}" for s in SCHEDULE),
               "PYTHONUNBUFFERED": "1"}


class Topology:
    """The local server or the cloud topology, on scratch data, answering on `base`."""

    def __init__(self, kind: str):
        self.kind = kind
        self.folder = Path(tempfile.mkdtemp(prefix=f"inventory-bench-isolation-{kind}-"))
        self.port = free_port()
        self.log = self.folder / "topology.log"
        env = dict(os.environ, **ENVIRONMENT)
        if kind == "local":
            env.update(INVENTORY_DATA_DIR=str(self.folder / "data"), INVENTORY_STORE="sqlite",
                       INVENTORY_EVENTS="local")
            command = [sys.executable, "-m", "inventory.local.server", "--port", str(self.port)]
            key_file = self.folder / "data" / "demo-api-key"
        else:
            command = [sys.executable, "-m", "inventory.local.cloud", f"--port={self.port}",
                       "--time-scale=30", f"--data-dir={self.folder}"]
            key_file = self.folder / "demo-api-key"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        deadline = time.monotonic() + 240
        while not ("listening on" in self.log.read_text() and key_file.exists()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{kind} did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key_file.read_text().strip()}"

    def call(self, method: str, path: str, body=None) -> requests.Response:
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method != "GET" else {}
        return self.session.request(method, self.base + path, json=body, headers=headers, timeout=30)

    def stop(self) -> None:
        from inventory.local.emulators import stop_group
        stop_group(self.process, timeout_s=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def run(kind: str, events: int, spread_s: float) -> dict:
    receivers = Receivers()
    topology = Topology(kind)
    try:
        secrets = {}

        def subscribe(group: str) -> None:
            response = topology.call("POST", "/webhooks", {"url": receivers.urls[group],
                                                           "events": ["inventory.updated"]})
            assert response.status_code == 201, response.text
            secrets[group] = response.json()["data"]["secret"]

        item = next(i for i in topology.call("GET", "/inventory").json()["data"] if i["sku"] == "BD-35")
        # Warm-up, not measured: every process on the path has served once (cold starts are
        # cold_start.py's subject), with the healthy subscriber alone.
        subscribe("healthy")
        for n in range(WARMUP):
            response = topology.call("PATCH", f"/inventory/{item['id']}",
                                     {"quantity_change": 1 if n % 2 == 0 else -1, "reason_code": "ADJUSTMENT"})
            assert response.status_code == 200, response.text
            receivers.wait("healthy", n + 1, 120)
        warmed = len(receivers.wait("healthy", WARMUP, 0))  # the measured arrivals come after these
        subscribe("hang")
        subscribe("failing")
        session = requests.Session()
        sent: dict[int, float] = {}  # item version -> when its PATCH was sent
        bare: list[float] = []
        started = time.monotonic()
        for n in range(events):
            time.sleep(max(0.0, started + n * spread_s / events - time.monotonic()))
            before = time.monotonic()
            response = topology.call("PATCH", f"/inventory/{item['id']}",
                                     {"quantity_change": 1 if n % 2 == 0 else -1,
                                      "reason_code": "ADJUSTMENT"})
            assert response.status_code == 200, response.text
            sent[response.json()["data"]["version"]] = before
            # The baseline: one bare signed POST of a payload of the same size, to the same server.
            body = json.dumps({"type": "inventory.updated", "data": response.json()})
            bare_started = time.monotonic()
            bare_post(session, receivers.urls["bare"], secrets["healthy"], body)
            bare.append(receivers.wait("bare", n + 1, 10)[n]["at"] - bare_started)

        healthy = receivers.wait("healthy", warmed + events, 120)[warmed:]
        latencies = []
        for arrival in healthy:
            payload = Webhook(secrets["healthy"]).verify(arrival["body"], arrival["headers"])
            latencies.append(arrival["at"] - sent[payload["data"]["item"]["version"]])
        attempts = len(SCHEDULE) + 1  # the first and one per retry, then a dead letter
        timeout_s = 2 * sum(SCHEDULE) + 90
        failing = receivers.wait("failing", events * attempts, timeout_s)
        by_event: dict[str, list[float]] = {}
        for arrival in failing:
            Webhook(secrets["failing"]).verify(arrival["body"], arrival["headers"])
            by_event.setdefault(arrival["headers"]["webhook-id"], []).append(arrival["at"])
        gaps = [[b - a for a, b in zip(times, times[1:])] for times in by_event.values()]
        assert all(len(g) == len(SCHEDULE) for g in gaps), [len(g) for g in gaps]
        return {"latencies": latencies, "bare": bare, "gaps": gaps, "hung": receivers.hanging.arrived,
                "events": events}
    finally:
        receivers.stop()
        topology.stop()


def report(kind: str, result: dict) -> None:
    latencies, bare, gaps = result["latencies"], result["bare"], result["gaps"]
    rows = [["bare signed POST (baseline)", f"{statistics.median(bare) * 1000:.1f}",
             f"{percentile(bare, 99) * 1000:.1f}", "", ""],
            ["PATCH -> healthy subscriber's webhook", f"{statistics.median(latencies) * 1000:.1f}",
             f"{percentile(latencies, 99) * 1000:.1f}",
             f"{statistics.median(latencies) / statistics.median(bare):.1f}",
             f"{percentile(latencies, 99) / percentile(bare, 99):.1f}"]]
    table(f"{kind}: healthy subscriber beside a hanging and a failing one, {result['events']} events "
          f"(the hanging one received {result['hung']} posts)",
          ["path", "p50 ms", "p99 ms", "p50 x bare", "p99 x bare"], rows)
    gap_rows = []
    for step, expected in enumerate(SCHEDULE):
        observed = [g[step] for g in gaps]
        worst = max(observed, key=lambda g: abs(g / expected - 1))
        gap_rows.append([f"retry {step + 1}", f"{expected:g}", f"{statistics.mean(observed):.2f}",
                         f"{min(observed):.2f}", f"{max(observed):.2f}",
                         f"{(worst / expected - 1) * 100:+.0f} %"])
    table(f"{kind}: the failing subscriber's gaps between attempts of one event, {len(gaps)} events",
          ["step", "schedule s", "mean s", "min s", "max s", "worst vs schedule"], gap_rows)
    prefix = f"webhook_isolation.{kind}"
    metric(f"{prefix}.healthy.p50", statistics.median(latencies), "s", statistics.median(bare), "report")
    metric(f"{prefix}.healthy.p99", percentile(latencies, 99), "s", percentile(bare, 99), "p99 <= 1 s")
    for step, expected in enumerate(SCHEDULE):
        observed = [g[step] for g in gaps]
        worst = max(observed, key=lambda g: abs(g / expected - 1))
        metric(f"{prefix}.retry_gap_{step + 1}.worst", worst, "s", expected, "within 10 % (0.9-1.1)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--spread", type=float, default=5.0, help="seconds the events are spread over")
    parser.add_argument("--quick", action="store_true", help="10 events over 2.5 s")
    parser.add_argument("--local-only", action="store_true", help="skip the cloud topology")
    parser.add_argument("--cloud-only", action="store_true", help="skip the local server")
    args = parser.parse_args()
    events, spread = (10, 2.5) if args.quick else (args.events, args.spread)
    kinds = ["local"] if args.local_only else (["cloud"] if args.cloud_only else ["local", "cloud"])
    results = {kind: run(kind, events, spread) for kind in kinds}
    for kind, result in results.items():
        report(kind, result)


if __name__ == "__main__":
    main()
