"""Google's own emulators, started from the Google Cloud CLI on free loopback ports."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Iterator

import requests
from loopback import free_port


@contextlib.contextmanager
def emulator(command: list[str], ready_path: str = "/", timeout_s: float = 90) -> Iterator[str]:
    """Run `gcloud … --host-port=127.0.0.1:PORT`, wait until it answers, stop its process group."""
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise RuntimeError("the Google Cloud CLI (gcloud) is needed for the emulator tests")
    port = free_port()
    host = f"127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([gcloud, *command, f"--host-port={host}"], stdout=log, stderr=log,
                               start_new_session=True)  # gcloud starts a java child: stop the group
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if requests.get(f"http://{host}{ready_path}", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"{' '.join(command)} did not start:\n{log.read().decode()[-3000:]}")
            time.sleep(0.25)
        yield host
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def firestore() -> contextlib.AbstractContextManager[str]:
    return emulator(["emulators", "firestore", "start", "--quiet"])


def pubsub() -> contextlib.AbstractContextManager[str]:
    return emulator(["beta", "emulators", "pubsub", "start", "--quiet"])
