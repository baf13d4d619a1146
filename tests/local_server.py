"""`python -m inventory.local.server` as a user runs it, on a data directory of the test's, with
loopback receivers and POS allowed; it can be killed and started again on the same data."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import requests

from inventory.local.loopback import free_port


class LocalServer:
    def __init__(self, data_dir, **env: str):
        self.data_dir = data_dir
        self.port = free_port()
        # The embedded store unless the test names another (INVENTORY_STORE="firestore").
        self.env = {**os.environ, "INVENTORY_DATA_DIR": str(data_dir), "INVENTORY_STORE": "sqlite",
                    "INVENTORY_EVENTS": "local", "INVENTORY_WEBHOOK_ALLOW_LOOPBACK": "1",
                    "PYTHONUNBUFFERED": "1", **env}
        self.log = open(data_dir.parent / f"server-{self.port}.log", "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "inventory.local.server",
                                         "--port", str(self.port)],
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)  # its own group: kill() takes every process
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(self.base + "/inventory", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or its first answer is slow
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("the local server did not start")
                time.sleep(0.1)
        self.session = requests.Session()
        self.session.headers["Authorization"] = \
            f"Bearer {(data_dir / 'demo-api-key').read_text().strip()}"

    def call(self, method: str, path: str, body=None, **params) -> requests.Response:
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method != "GET" else {}
        return self.session.request(method, self.base + path, json=body, params=params,
                                    headers=headers, timeout=30)

    def item(self, sku: str = "BD-35") -> dict:
        return next(i for i in self.call("GET", "/inventory").json()["data"] if i["sku"] == sku)

    def kill(self) -> None:
        """SIGKILL to the server's every process (gunicorn's arbiter and its workers), as a crash
        of the machine would: no handler runs, nothing is finished or cleaned up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
