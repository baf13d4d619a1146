"""Each function's bundle as Google's Python buildpack runs it: install size, import time, memory.

Every bundle (scripts/build_bundles.py) is installed into a fresh virtualenv from its own
requirements.txt (one virtualenv per distinct requirements set, shared by the bundles that have
the same), then served by `functions-framework` with FUNCTION_TARGET from the bundle's folder
on the embedded store (or, with --firestore, on Google's Firestore emulator, the client library
loaded as in the cloud) with the demo data; one authenticated GET (HTTP functions) or one
CloudEvent (Pub/Sub ones) is its first request. Reported per bundle: the installed
site-packages (MiB), the time to import main.py, and the resident memory after that first
request (VmRSS). Baseline: the same bundle with every runtime requirement (what each shipped
before bundles listed only what they import). Target: memory under the 256 MiB default.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

import requests

from harness import ROOT, demo_data_dir, median, metric, table
from inventory.local.loopback import free_port

sys.path.insert(0, str(ROOT / "scripts"))
import build_bundles  # noqa: E402
import deploy_manifest  # noqa: E402

IMPORT = ("import runpy, sys, time; sys.path.insert(0, '.'); t = time.perf_counter(); "
          "runpy.run_path('main.py'); print(time.perf_counter() - t)")


def install(requirements: list[str], into: Path) -> Path:
    venv.create(into, with_pip=True)
    listed = into / "requirements.txt"
    listed.write_text("\n".join(requirements) + "\n")
    subprocess.run([str(into / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "-r", str(listed)],
                   check=True, capture_output=True)
    return into


def size_mib(environment: Path) -> float:
    site = next(environment.glob("lib/python*/site-packages"))
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 2**20


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


STORE: dict[str, str] = {"INVENTORY_STORE": "sqlite"}


def serve_once(environment: Path, bundle: Path, function, data: Path, key: str) -> tuple[float, float]:
    """(import seconds, MiB resident after the first request) of one bundle."""
    env = {"PATH": "/usr/bin:/bin", "INVENTORY_DATA_DIR": str(data), "INVENTORY_EVENTS": "local", **STORE}
    imported = float(subprocess.run([str(environment / "bin" / "python"), "-c", IMPORT], cwd=bundle, env=env,
                                    check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    port = free_port()
    server = subprocess.Popen([str(environment / "bin" / "functions-framework"), "--source", "main.py",
                               "--host", "127.0.0.1", "--port", str(port)], cwd=bundle,
                              env={**env, "FUNCTION_TARGET": function.handler},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        if function.routes:
            path = re.sub(r"\{[^}]+\}", "missing", function.routes[0].path)
            send = lambda: requests.request(function.routes[0].method, url + path, timeout=30,  # noqa: E731
                                            headers={"Authorization": f"Bearer {key}"})
        else:  # a Pub/Sub push, as the subscription sends it (a tick for a timer, an empty event otherwise)
            body = {"message": {"data": base64.b64encode(b"incremental").decode(), "messageId": "1",
                                "attributes": {"function": function.name}},
                    "subscription": f"projects/bench/subscriptions/{function.name}-push"}
            send = lambda: requests.post(f"{url}/projects/bench/topics/{function.topic}", json=body,  # noqa: E731
                                         timeout=30)
        deadline = time.monotonic() + 60
        while True:
            try:
                send()
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{function.name} did not start")
                time.sleep(0.05)
        return imported, rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="just these functions (repeatable)")
    parser.add_argument("--firestore", action="store_true", help="serve on the Firestore emulator")
    args = parser.parse_args(argv)
    if args.firestore:
        from contextlib import ExitStack
        from inventory.local import emulators
        stack = ExitStack()
        host = stack.enter_context(emulators.firestore())
        STORE.update(INVENTORY_STORE="firestore", FIRESTORE_EMULATOR_HOST=host, GOOGLE_CLOUD_PROJECT="bench-bundles")
        os.environ.update(STORE)
    work = Path(tempfile.mkdtemp(prefix="inventory-bundles-"))
    out = work / "bundles"
    build_bundles.main(["--out", str(out)] + [a for name in args.only or [] for a in ("--only", name)])
    functions = {name: f for name, f in deploy_manifest.load().items() if not args.only or name in args.only}
    pins = build_bundles.pinned_requirements()
    environments: dict[tuple[str, ...], Path] = {}
    everything = sorted(line for name, line in pins.items() if name not in build_bundles.NEVER_SHIPPED)
    baseline_environment = install(everything, work / "venv-all")
    baseline_size = size_mib(baseline_environment)
    if args.firestore:  # the demo organization on the emulator
        data = work / "data"
        key = subprocess.run([sys.executable, "-m", "inventory.cli", "demo"], check=True, capture_output=True,
                             text=True, env=dict(os.environ, INVENTORY_DATA_DIR=str(data))).stdout.strip()
    else:
        data, key = demo_data_dir()

    rows, sizes, memories, baseline_memories = [], [], [], []
    for name, function in functions.items():
        requirements = tuple(sorted((out / name / "requirements.txt").read_text().split()))
        if requirements not in environments:
            environments[requirements] = install(list(requirements), work / f"venv-{len(environments)}")
        environment = environments[requirements]
        size = size_mib(environment)
        imported, memory = serve_once(environment, out / name, function, data, key)
        _, memory_before = serve_once(baseline_environment, out / name, function, data, key)
        sizes.append(size)
        memories.append(memory)
        baseline_memories.append(memory_before)
        rows.append([name, f"{size:.0f}", f"{baseline_size:.0f}", f"{imported * 1000:.0f}",
                     f"{memory:.0f}", f"{memory_before:.0f}", function.memory_mb])
    table(f"Bundles installed as the buildpack installs them, on {STORE['INVENTORY_STORE']} (MiB, ms)",
          ["function", "install", "install before", "import ms", "RSS after 1st request",
           "RSS before", "limit"], rows)
    metric("bundle_install_mib_median", median(sizes), "MiB", baseline_size, "< baseline")
    metric("bundle_rss_after_first_request_mib_max", max(memories), "MiB", max(baseline_memories), "< 256 MiB")
    print(json.dumps({"environments": len(environments)}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
