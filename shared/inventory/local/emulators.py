"""Google's own Firestore and Pub/Sub emulators, started from the Google Cloud CLI on free
loopback ports, waited for, and stopped with everything they started."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from typing import Iterator

from .loopback import free_port


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextlib.contextmanager
def emulator(command: list[str], timeout_s: float = 90) -> Iterator[str]:
    """Run `gcloud … --host-port=127.0.0.1:PORT` until the block ends; yields `127.0.0.1:PORT`."""
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        raise RuntimeError("the Google Cloud CLI (gcloud) is needed to run Google's emulators")
    host = f"127.0.0.1:{free_port()}"
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([gcloud, *command, f"--host-port={host}"], stdout=log, stderr=log,
                               start_new_session=True)  # gcloud starts a java child: stop the group
    try:
        deadline = time.monotonic() + timeout_s
        while not answers(f"http://{host}/"):
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"{' '.join(command)} did not start:\n{log.read().decode()[-3000:]}")
            time.sleep(0.25)
        yield host
    finally:
        stop_group(process)
        log.close()


def stop_group(process: subprocess.Popen, timeout_s: float = 15) -> None:
    """Stop a process started with start_new_session=True, and its children."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def firestore() -> contextlib.AbstractContextManager[str]:
    return emulator(["emulators", "firestore", "start", "--quiet"])


def pubsub() -> contextlib.AbstractContextManager[str]:
    return emulator(["beta", "emulators", "pubsub", "start", "--quiet"])
