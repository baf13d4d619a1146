"""Fuzz the API with schemathesis: start the local server on a free loopback port with a fresh
data directory, point `schemathesis run` at its /api/v1/openapi.json with the demo key, stop it.

Usage: python scripts/fuzz.py [schemathesis run options...]   (scripts/fuzz.sh is the long run)
Exit status is schemathesis'. Only 127.0.0.1 is ever contacted.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {seconds} s")


def schemathesis_command() -> list[str]:
    found = Path(sys.executable).with_name("schemathesis")
    return [str(found)] if found.exists() else [shutil.which("schemathesis") or "schemathesis"]


def run(arguments: list[str]) -> int:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="inventory-fuzz-") as scratch:
        data = Path(scratch) / "data"
        env = dict(os.environ, INVENTORY_DATA_DIR=str(data), INVENTORY_STORE="sqlite",
                   INVENTORY_PROJECT_ROOT=str(ROOT), PYTHONUNBUFFERED="1")
        log = open(Path(scratch) / "server.log", "w")
        server = subprocess.Popen([sys.executable, "-m", "inventory.local.server", "--port", str(port)],
                                  cwd=scratch, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/api/v1/openapi.json", server)
            key = (data / "demo-api-key").read_text().strip()
            hooks_env = dict(os.environ, SCHEMATHESIS_HOOKS="fuzz_hooks",
                             PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "tests"),
                                                                      os.environ.get("PYTHONPATH")])))
            command = [*schemathesis_command(), "run", f"{base}/api/v1/openapi.json", "--url", base,
                       "-H", f"Authorization: Bearer {key}", "--checks", CHECKS,
                       "--output-sanitize", "true", *arguments]
            status = subprocess.call(command, env=hooks_env, cwd=scratch)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
        if status != 0:
            tail = (Path(scratch) / "server.log").read_text().splitlines()
            errors = [line for line in tail if '"severity": "ERROR"' in line]
            print("\n".join(errors[-20:]), file=sys.stderr)
        return status


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
