"""serverless.yaml, functions/ and each function's declared routes name the same things; the
local server and a lone function serve real HTTP on loopback; each request logs one JSON line."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from inventory.manifest import load
from inventory.local.loopback import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_manifest_functions_and_code_name_the_same_set():
    manifest = load(ROOT)
    directories = {p.name for p in (ROOT / "functions").iterdir() if (p / "main.py").exists()}
    assert {f.name for f in manifest.functions} == directories
    for function in manifest.functions:
        spec = importlib.util.spec_from_file_location(f"check_{function.name}", function.main)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert callable(getattr(module, function.name)), function.name
        if function.trigger == "http":
            declared = {(r.method, r.template) for r in module.routes.routes}
            assert declared == {(r.method, r.path) for r in function.routes}, function.name
        else:
            assert function.topic and not hasattr(module, "routes"), function.name


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process exited: {process.stderr.read() if process.stderr else ''}")
        try:
            requests.get(url, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or its first answer is slow
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture
def local_server(tmp_path):
    port = free_port()
    env = dict(os.environ, INVENTORY_DATA_DIR=str(tmp_path / "data"), INVENTORY_STORE="sqlite",
               PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "inventory.local.server", "--port", str(port)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/v1/inventory", process)
        yield port, tmp_path, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Try it", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_readme_examples_run_against_the_local_server(local_server):
    port, folder, process = local_server
    script = readme_example().replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"pagination":{"page":1,"limit":10' in result.stdout
    assert '"reason_code":"SALE"' in result.stdout and '"reason_code":"AUDIT"' in result.stdout
    assert "ETag:" in result.stdout


def test_local_server_prints_address_and_demo_key_and_logs_json(local_server):
    port, folder, process = local_server
    key = (folder / "data" / "demo-api-key").read_text().strip()
    response = requests.get(f"http://127.0.0.1:{port}/api/v1/inventory",
                            headers={"Authorization": f"Bearer {key}"}, timeout=5)
    assert response.status_code == 200 and response.json()["pagination"]["total"] == 4
    process.terminate()
    out, err = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in err and key in err
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    logged = [line for line in lines if line["httpRequest"]["status"] == 200]
    assert logged and logged[-1]["function"] == "list_inventory"
    assert logged[-1]["severity"] == "INFO" and logged[-1]["organization_id"].startswith("org_")
    assert key not in out


def test_a_function_runs_alone_under_functions_framework(tmp_path):
    env = dict(os.environ, INVENTORY_DATA_DIR=str(tmp_path / "data"), INVENTORY_STORE="sqlite")
    key = subprocess.run([sys.executable, "-m", "inventory.cli", "demo"], env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "functions-framework"), "--source", str(ROOT / "functions/list_inventory/main.py"),
         "--target", "list_inventory", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/v1/inventory", process)
        response = requests.get(f"http://127.0.0.1:{port}/api/v1/inventory?room_type=vault",
                                headers={"Authorization": f"Bearer {key}"}, timeout=5)
        assert response.status_code == 200
        assert [i["sku"] for i in response.json()["data"]] == ["BD-BULK"]
    finally:
        process.terminate()
        process.wait(timeout=10)
