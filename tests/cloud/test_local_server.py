"""`python -m inventory.local.server` (what `make run` starts) as a user runs it: gunicorn worker
processes, the background work in exactly one of them, one log line per request, the address
announced only once it answers, and a clear failure on a taken port."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from inventory.local.background import LOCK_FILE
from inventory.local.loopback import free_port
from inventory.local.server import parser
from receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]


class Server:
    """The local server on a free port, its output in files (never a pipe that could fill)."""

    def __init__(self, folder: Path, *options: str, port: int | None = None, wait: bool = True,
                 data_dir: Path | None = None, port_from_env: bool = False, **env):
        self.folder = folder
        self.port = port or free_port()
        self.data_dir = data_dir or folder / "data"
        self.out_path, self.err_path = folder / "server.out", folder / "server.err"
        environment = dict(os.environ, INVENTORY_DATA_DIR=str(self.data_dir), INVENTORY_STORE="sqlite",
                           PYTHONUNBUFFERED="1")
        environment.update(env)
        if port_from_env:
            environment["PORT"] = str(self.port)
        else:
            options = ("--port", str(self.port), *options)
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "inventory.local.server", *options],
                                            cwd=folder, env=environment, stdout=out, stderr=err)
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        if wait:
            self.wait_for_announcement()

    @property
    def err(self) -> str:
        return self.err_path.read_text()

    @property
    def out(self) -> str:
        return self.out_path.read_text()

    def wait_for_announcement(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while "listening on" not in self.err:
            assert self.process.poll() is None, f"the server exited:\n{self.err}"
            assert time.monotonic() < deadline, f"no 'listening on' line:\n{self.err}"
            time.sleep(0.02)

    def key(self) -> str:
        return (self.data_dir / "demo-api-key").read_text().strip()

    def workers(self) -> list[int]:
        """The pids of the server's worker processes."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def wait_for_workers(self, count: int, timeout_s: float = 30) -> list[int]:
        deadline = time.monotonic() + timeout_s
        while len(found := self.workers()) != count:
            assert time.monotonic() < deadline, f"{len(found)} workers, not {count}"
            time.sleep(0.05)
        return found

    def background_holder(self, timeout_s: float = 30) -> int:
        """The pid of the process holding the background work's lock (from /proc/locks)."""
        deadline = time.monotonic() + timeout_s
        while True:
            lock = self.data_dir / LOCK_FILE
            if lock.exists():
                holders = [int(line.split()[4]) for line in Path("/proc/locks").read_text().splitlines()
                           if line.split()[5].endswith(f":{lock.stat().st_ino}")
                           and line.split()[1] == "FLOCK"]
                if holders:
                    assert len(holders) == 1, holders
                    return holders[0]
            assert time.monotonic() < deadline, "no process took the background work"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture
def start(tmp_path):
    started: list[Server] = []

    def starting(*options: str, **kwargs) -> Server:
        folder = tmp_path / f"server{len(started)}"
        folder.mkdir()
        server = Server(folder, *options, **kwargs)
        started.append(server)
        return server

    yield starting
    for server in started:
        server.stop()


def socket_owner(server: Server, client_port: int) -> int:
    """The pid of the worker that holds the server side of the connection from `client_port`."""
    wanted = f":{server.port:04X}", f":{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(wanted[0]) and fields[2].endswith(wanted[1]):
            inode = fields[9]
            for pid in server.workers():
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    try:
                        if os.readlink(fd) == f"socket:[{inode}]":
                            return pid
                    except OSError:
                        continue
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def test_it_serves_with_gunicorn_workers_and_no_development_server_warning(start):
    server = start("--workers", "3")
    assert len(server.wait_for_workers(3)) == 3
    response = requests.get(server.base + "/inventory", headers={"Authorization": f"Bearer {server.key()}"},
                            timeout=10)
    assert response.status_code == 200 and response.headers["Server"] == "gunicorn"
    assert response.json()["pagination"]["total"] == 4
    server.stop()
    assert "development server" not in server.err.lower() and "WARNING" not in server.err


def test_listening_is_announced_after_the_port_answers(start):
    server = start()  # returns as soon as the line is printed
    response = requests.get(server.base + "/inventory", timeout=10)
    assert response.status_code == 401 and response.json()["error"]["code"] == "missing_api_key"
    assert server.err.count("listening on") == 1
    assert f"listening on http://127.0.0.1:{server.port}/api/v1/inventory" in server.err


def test_the_port_comes_from_PORT_when_not_given(start):
    server = start("--no-demo", "--host", "127.0.0.1", port_from_env=True)
    assert f"listening on http://127.0.0.1:{server.port}/" in server.err
    assert requests.get(server.base + "/inventory", timeout=10).status_code == 401


def test_a_stop_while_the_workers_boot_ends_the_server_at_once(start):
    """SIGTERM just after the first answer, while gunicorn is still forking the other workers
    (it spawns them up to 0.1 s apart): each worker gets it (before, one not yet booted lost it
    and served on until the arbiter killed it after its 30 s graceful timeout)."""
    for _ in range(12):
        server = start("--no-demo", "--workers", "4", wait=False)
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(server.base + "/inventory", timeout=10)
                break
            except requests.ConnectionError:
                assert server.process.poll() is None and time.monotonic() < deadline, server.err
                time.sleep(0.005)
        server.process.terminate()
        assert server.process.wait(timeout=20) == 0
        assert "Traceback" not in server.err


def test_a_taken_port_fails_with_the_reason_and_never_announces_listening(start):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        server = start(port=port, wait=False)
        assert server.process.wait(timeout=30) != 0
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in server.err
    assert "listening on" not in server.err and "Traceback" not in server.err
    assert not server.data_dir.exists()  # it failed before touching anything


def test_each_request_writes_one_json_log_line_and_nothing_else(start):
    server = start()
    key = server.key()
    session = requests.Session()
    sent = [("GET", "/inventory", key, 200), ("HEAD", "/inventory", key, 200),
            ("GET", "/inventory", None, 401), ("GET", "/inventory/itm_missing", key, 404),
            ("HEAD", "/inventory/itm_missing", key, 404)]
    for method, path, api_key, status in sent:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        response = session.request(method, server.base + path, headers=headers, timeout=10)
        assert response.status_code == status, (method, path, response.text)
        if method == "HEAD":
            assert response.content == b"" and int(response.headers["Content-Length"]) > 0
    server.stop()
    logged = [json.loads(line) for line in server.out.splitlines()]
    assert [(line["httpRequest"]["requestMethod"], line["status"]) for line in logged] == \
        [(method, status) for method, _, _, status in sent]
    assert all(line["request_id"] and line["latency_ms"] >= 0 for line in logged)
    assert not re.search(r'"(GET|HEAD) /|HTTP/1\.[01]"', server.err), server.err  # no access log


def test_log_lines_of_workers_serving_at_once_never_interleave(start):
    """Standard output is a file, not a terminal, and not unbuffered: each worker's lines still
    go out whole (the request log flushes each line), never cut by another worker's."""
    server = start("--workers", "3", "--no-demo", PYTHONUNBUFFERED="")

    def hit(n: int) -> None:
        for _ in range(40):
            requests.get(server.base + f"/inventory?limit={n}", headers={"Connection": "close"}, timeout=10)
    threads = [threading.Thread(target=hit, args=(n,)) for n in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    server.stop()
    lines = server.out.splitlines()
    assert len(lines) == 240
    assert all(json.loads(line)["status"] == 401 for line in lines)


def test_no_demo_creates_no_demo_data_and_still_serves(start):
    server = start("--no-demo")
    assert not (server.data_dir / "demo-api-key").exists()
    assert "demo API key" not in server.err
    response = requests.get(server.base + "/inventory", timeout=10)
    assert response.status_code == 401 and response.json()["error"]["code"] == "missing_api_key"
    head = requests.head(server.base + "/inventory", timeout=10)
    assert head.status_code == 401 and head.content == b""


def test_the_arbiter_forks_from_one_thread_and_never_opens_the_store(start):
    server = start("--workers", "2")
    workers = server.wait_for_workers(2)

    def store_open(pid: int) -> bool:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd).endswith("inventory.sqlite3"):
                    return True
            except OSError:  # closed meanwhile
                continue
        return False

    deadline = time.monotonic() + 30
    while not all(store_open(pid) for pid in workers):  # each worker opens its own, once booted
        assert time.monotonic() < deadline, "a worker never opened the store"
        time.sleep(0.05)
    arbiter = server.process.pid
    assert len(list(Path(f"/proc/{arbiter}/task").iterdir())) == 1
    assert not store_open(arbiter)


@pytest.mark.firestore
def test_on_firestore_the_store_is_prepared_in_a_child_and_the_arbiter_stays_single_threaded(
        start, firestore_emulator):
    server = start("--workers", "2", INVENTORY_STORE="firestore", FIRESTORE_EMULATOR_HOST=firestore_emulator,
                   GOOGLE_CLOUD_PROJECT=f"local-server-{uuid.uuid4().hex[:12]}")
    response = requests.get(server.base + "/inventory", headers={"Authorization": f"Bearer {server.key()}"},
                            timeout=30)
    assert response.status_code == 200 and response.json()["pagination"]["total"] == 4
    assert "store=firestore" in server.err
    assert len(list(Path(f"/proc/{server.process.pid}/task").iterdir())) == 1  # no gRPC thread


def subscribe(session: requests.Session, server: Server, url: str) -> dict:
    response = session.post(server.base + "/webhooks", json={"url": url, "events": ["inventory.updated"]},
                            timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_background_work_runs_once_however_many_workers_serve(start):
    """Three workers: one holds the background work; adjustments served by every worker are each
    delivered exactly once, also those served by a worker without the background work; when the
    holder dies another worker takes over and nothing is lost or sent twice."""
    server = start("--workers", "3", INVENTORY_WEBHOOK_ALLOW_LOOPBACK="1")
    workers = server.wait_for_workers(3)
    holder = server.background_holder()
    assert holder in workers
    receiver = Receiver()
    try:
        headers = {"Authorization": f"Bearer {server.key()}", "Content-Type": "application/json"}
        setup = requests.Session()
        setup.headers.update(headers)
        subscription = subscribe(setup, server, receiver.url())
        item = next(i for i in setup.get(server.base + "/inventory", timeout=10).json()["data"]
                    if i["sku"] == "BD-35")

        def adjust(connection: http.client.HTTPConnection) -> None:
            connection.request("PATCH", f"/api/v1/inventory/{item['id']}", headers=headers,
                               body=json.dumps({"quantity_change": -1, "reason_code": "SALE"}))
            response = connection.getresponse()
            assert response.status == 200, response.read()
            response.read()

        # New connections until one is served by a worker without the background work; adjust on it.
        for _ in range(40):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request("GET", "/api/v1/inventory?limit=1", headers=headers)
            assert connection.getresponse().read()
            if socket_owner(server, connection.sock.getsockname()[1]) != holder:
                adjust(connection)
                break
            connection.close()
        else:
            raise AssertionError("every connection went to the worker with the background work")
        [first] = receiver.wait_for(1)
        assert Webhook(subscription["secret"]).verify(first["body"], first["headers"])["type"] == \
            "inventory.updated"

        def adjust_anew() -> None:  # on a new connection, to whichever worker accepts it
            adjust(http.client.HTTPConnection("127.0.0.1", server.port, timeout=10))

        threads = [threading.Thread(target=adjust_anew) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        expected = 1 + len(threads)
        receiver.wait_for(expected)

        os.kill(holder, signal.SIGKILL)  # the kernel drops its lock; another worker takes over
        deadline = time.monotonic() + 30
        while (new_holder := server.background_holder()) == holder:
            assert time.monotonic() < deadline, "no worker took over the background work"
            time.sleep(0.05)
        assert new_holder in server.workers()
        response = setup.patch(server.base + f"/inventory/{item['id']}",
                               json={"quantity_change": -1, "reason_code": "SALE"}, timeout=10)
        assert response.status_code == 200, response.text
        receiver.wait_for(expected + 1)
        time.sleep(1.5)  # a second delivery, if any, would have arrived by now
        ids = [got["headers"]["webhook-id"] for got in receiver.received]
        assert len(ids) == expected + 1 and len(set(ids)) == len(ids)
        assert server.wait_for_workers(3)  # gunicorn replaced the dead worker
    finally:
        receiver.stop()


def test_two_servers_on_one_data_directory_run_the_background_work_once(start):
    first = start("--workers", "2")
    second = start("--workers", "2", "--no-demo", data_dir=first.data_dir)
    workers = first.wait_for_workers(2) + second.wait_for_workers(2)
    holder = first.background_holder()  # asserts that one process holds the lock, not two
    assert holder in workers
    first.stop()  # the holder may have been one of its workers: then one of the second's takes over
    deadline = time.monotonic() + 30
    while (holder := second.background_holder()) not in second.workers():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_every_option_and_port_are_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    options = [o for action in parser()._actions for o in action.option_strings if o.startswith("--")]
    assert {"--host", "--port", "--no-demo"} <= set(options)
    missing = [o for o in options if o != "--help" and f"`{o}" not in readme]
    assert not missing
    assert "`PORT`" in readme


def test_the_readme_starts_with_exactly_two_commands():
    first_block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


# -- what `make run` and `make test` install ------------------------------------------------------

def make_dry_run(folder: Path, target: str) -> str:
    """The commands `make` would run for `target` in `folder` (a copy of the build files)."""
    return subprocess.run(["make", "-n", target], cwd=folder, capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def build_files(tmp_path):
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt", "shared/pyproject.toml",
                 "tests/cannlytics/node/package-lock.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / ".venv").mkdir()
    return tmp_path


def stamp(folder: Path, *names: str) -> None:
    """Mark these installs done, in this order, after every build file was written."""
    newest = max((folder / n).stat().st_mtime for n in
                 ("Makefile", "requirements.txt", "requirements-dev.txt", "shared/pyproject.toml"))
    for offset, name in enumerate(names, start=1):
        (folder / ".venv" / name).touch()
        os.utime(folder / ".venv" / name, (newest + offset, newest + offset))


def test_make_run_installs_the_runtime_only_and_make_test_everything(build_files):
    run = make_dry_run(build_files, "run")
    assert "-r requirements.txt -e shared" in run and "requirements-dev" not in run
    assert "-m inventory.local.server" in run
    test = make_dry_run(build_files, "test")  # a clean clone, as CI has it
    assert "-r requirements.txt -e shared" in test and "-r requirements-dev.txt" in test
    assert "-m pytest" in test


def test_make_run_after_make_test_installs_nothing_and_the_reverse_only_the_test_tools(build_files):
    stamp(build_files, ".runtime", ".installed")  # `make test` ran
    assert "pip" not in make_dry_run(build_files, "run")
    stamp(build_files, ".runtime")  # only `make run` ran
    (build_files / ".venv" / ".installed").unlink()
    test = make_dry_run(build_files, "test")
    assert "-r requirements-dev.txt" in test and "-r requirements.txt" not in test
    stamp(build_files, ".runtime", ".installed")
    later = (build_files / ".venv" / ".installed").stat().st_mtime + 10
    os.utime(build_files / "requirements-dev.txt", (later, later))  # a new test pin: run does not care
    assert "pip" not in make_dry_run(build_files, "run")
    assert "-r requirements-dev.txt" in make_dry_run(build_files, "test")
