"""`python -m inventory.local.cloud`: the cloud deployment's topology on one machine.

Every function in serverless.yaml runs as its own `functions-framework` process configured for
Firestore and Pub/Sub, on Google's emulators; each event-triggered function gets a Pub/Sub push
subscription (the way Eventarc delivers in the cloud; the per-delivery topic is pushed by a
relay that keeps the cloud's concurrent pushes, see push_relay.py); a timer publishes the Cloud Scheduler
jobs' messages to their topics; and a gateway routes the HTTP paths to the functions' processes
as API Gateway does. A function process that dies is started again on its port, as Cloud Run
replaces an instance (its pid is in <logs>/<name>.pid). Nothing is shared in memory: what works here crosses the same boundaries
as in the cloud.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import requests
from werkzeug.serving import make_server

from ..adapters.secret_box import KEY_ENV, key_file_ring
from ..http.server_refusals import EnvelopeRequestHandler
from ..manifest import Function, Manifest
from ..manifest import load as load_manifest
from . import emulators
from .gateway import Gateway, HttpProxy
from .loopback import free_ports, listening
from .pubsub_emulator import PubSubEmulator
from .push_relay import PushRelay

PROJECT = "inventory-cloud-local"
EVENTS_TOPIC = "inventory-events"
SYNC_TOPIC = "inventory-sync-requests"
DELIVERIES_TOPIC = "inventory-webhook-deliveries"


class Topology:
    """The processes, topics and timer of one running topology."""

    def __init__(self, manifest: Manifest, firestore_host: str, pubsub_host: str, project: str,
                 time_scale: float, log_dir: Path):
        self.manifest = manifest
        self.pubsub = PubSubEmulator(pubsub_host, project)
        self.environment = dict(
            os.environ, INVENTORY_STORE="firestore", INVENTORY_EVENTS="pubsub",
            FIRESTORE_EMULATOR_HOST=firestore_host, PUBSUB_EMULATOR_HOST=pubsub_host,
            GOOGLE_CLOUD_PROJECT=project, INVENTORY_EVENTS_TOPIC=EVENTS_TOPIC,
            INVENTORY_SYNC_TOPIC=SYNC_TOPIC, INVENTORY_DELIVERIES_TOPIC=DELIVERIES_TOPIC,
            PYTHONUNBUFFERED="1")
        self.time_scale = time_scale
        self.log_dir = log_dir
        self.ports: dict[str, int] = {}
        self.processes: dict[str, subprocess.Popen] = {}
        self.relays: list[PushRelay] = []
        self.restarts: dict[str, int] = {}
        self._functions = {function.name: function for function in manifest.functions}
        self._stop = threading.Event()
        self._timer = threading.Thread(target=self._run_timers, name="scheduler", daemon=True)
        self._supervisor = threading.Thread(target=self._replace_dead, name="supervisor", daemon=True)

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        ports = free_ports(len(self.manifest.functions))
        for function, port in zip(self.manifest.functions, ports):
            self._start_function(function, port)
        for name in self.processes:
            self._wait_until_serving(name)
        self._create_topics_and_subscriptions()
        self._timer.start()
        self._supervisor.start()

    def stop(self) -> None:
        self._stop.set()
        if self._supervisor.is_alive():
            self._supervisor.join(timeout=10)
        for relay in self.relays:
            relay.stop()
        for process in self.processes.values():
            emulators.stop_group(process)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def _start_function(self, function: Function, port: int) -> None:
        command = [str(Path(sys.executable).parent / "functions-framework"),
                   f"--target={function.name}", f"--source={function.main}",
                   "--host=127.0.0.1", f"--port={port}"]
        log = open(self.log_dir / f"{function.name}.log", "ab")
        self.ports[function.name] = port
        self.processes[function.name] = subprocess.Popen(
            command, env=self.environment, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        (self.log_dir / f"{function.name}.pid").write_text(f"{self.processes[function.name].pid}\n")

    def _replace_dead(self) -> None:
        """Cloud Run's part: an instance that dies is replaced (same port, so the push
        subscriptions and the gateway reach the new one). What it had in flight is lost."""
        while not self._stop.wait(0.2):
            for name, process in list(self.processes.items()):
                if process.poll() is not None and not self._stop.is_set():
                    with contextlib.suppress(ProcessLookupError):  # whatever of its group survived
                        os.killpg(process.pid, signal.SIGKILL)
                    print(f"{name} exited ({process.returncode}); starting it again", file=sys.stderr)
                    self.restarts[name] = self.restarts.get(name, 0) + 1
                    self._start_function(self._functions[name], self.ports[name])

    def _wait_until_serving(self, name: str, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not listening(self.ports[name]):
            if self.processes[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start; see {self.log_dir / (name + '.log')}")
            time.sleep(0.2)

    def _create_topics_and_subscriptions(self) -> None:
        topics = {EVENTS_TOPIC, SYNC_TOPIC, DELIVERIES_TOPIC} | {f.topic for f in self.manifest.functions if f.topic}
        for topic in sorted(topics):
            self.pubsub.create_topic(topic)
            self.pubsub.create_topic(f"{topic}-dead-letter")
        for function in self.manifest.functions:
            if function.topic is None:
                continue
            # The path names the topic, as Eventarc's push endpoints do; the framework reads it.
            endpoint = f"{self.url(function.name)}/projects/{self.pubsub.project}/topics/{function.topic}"
            if function.topic == DELIVERIES_TOPIC:  # pushed concurrently, as in the cloud
                self.pubsub.create_pull_subscription(
                    f"{function.name}-push", function.topic,
                    dead_letter_topic=f"{function.topic}-dead-letter")
                self.relays.append(PushRelay(self.pubsub, f"{function.name}-push", endpoint).start())
                continue
            self.pubsub.create_push_subscription(
                f"{function.name}-push", function.topic, endpoint,
                ordered=function.topic == EVENTS_TOPIC, dead_letter_topic=f"{function.topic}-dead-letter")

    def _run_timers(self) -> None:
        """Cloud Scheduler's part: publish each job's message to its topic at the job's period,
        with the `function` attribute infra/scheduler.tf sets (Pub/Sub refuses an empty message)."""
        jobs = [(function.name, timer, timer.period_s / self.time_scale)
                for function in self.manifest.functions for timer in function.timers]
        next_run = [time.monotonic() + period for _, _, period in jobs]
        while not self._stop.wait(0.2):
            for index, (name, timer, period) in enumerate(jobs):
                if time.monotonic() >= next_run[index]:
                    next_run[index] = time.monotonic() + period
                    try:
                        self.pubsub.publish(timer.topic, timer.data, function=name)
                    except requests.RequestException as error:
                        print(f"scheduler: {name} not triggered: {error}", file=sys.stderr)


@contextlib.contextmanager
def emulator_host(existing: str | None, start) -> Iterator[str]:
    """An emulator given by address, or one started for as long as the topology runs."""
    if existing:
        yield existing
    else:
        with start() as host:
            yield host


def create_demo(environment: dict[str, str], key_file: Path) -> str:
    """The demo organization, created on the emulator through the same bootstrap the functions use;
    its startup lines (key, organization, POS folder)."""
    os.environ.update(environment)
    from .. import bootstrap
    from .demo import demo_banner, ensure_demo
    bootstrap.reset()
    return demo_banner(bootstrap.services(), ensure_demo(bootstrap.services(), key_file))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8080)),
                        help="the gateway's port on 127.0.0.1")
    parser.add_argument("--firestore-emulator", help="use this running Firestore emulator (host:port)")
    parser.add_argument("--pubsub-emulator", help="use this running Pub/Sub emulator (host:port)")
    parser.add_argument("--project", default=PROJECT, help="the emulated Google Cloud project")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="run the scheduler's jobs this many times faster (e.g. 30: every minute -> every 2 s)")
    parser.add_argument("--data-dir", type=Path, default=Path("data/cloud"),
                        help="function logs and the demo key file")
    args = parser.parse_args(argv)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with emulator_host(args.firestore_emulator, emulators.firestore) as firestore_host, \
            emulator_host(args.pubsub_emulator, emulators.pubsub) as pubsub_host:
        topology = Topology(load_manifest(), firestore_host, pubsub_host, args.project,
                            args.time_scale, args.data_dir / "logs")
        # Every function gets the key ring as Secret Manager hands it over in the cloud.
        topology.environment.setdefault(KEY_ENV, key_file_ring(args.data_dir / "secret-keys"))
        # The gateway's port is bound before the functions choose theirs, so none can take it;
        # the server serves only once the gateway is in place.
        server = make_server("127.0.0.1", args.port, None, threaded=True,
                             request_handler=EnvelopeRequestHandler)
        try:
            topology.start()
            banner = create_demo(topology.environment, args.data_dir / "demo-api-key")
            server.app = Gateway(backends={name: HttpProxy(topology.url(name))
                                           for name in topology.processes})
            threading.Thread(target=server.serve_forever, daemon=True).start()
            print(f"firestore emulator: {firestore_host}  pubsub emulator: {pubsub_host}  "
                  f"project: {args.project}", file=sys.stderr)
            for name in topology.processes:
                print(f"  {name}: {topology.url(name)}", file=sys.stderr)
            print(banner, file=sys.stderr)
            print(f"listening on http://127.0.0.1:{args.port}/api/v1/inventory", file=sys.stderr)
            sys.stderr.flush()
            with contextlib.suppress(KeyboardInterrupt):
                stopping.wait()
            server.shutdown()
        finally:
            topology.stop()


if __name__ == "__main__":
    main()
