"""Cannlytics' documented calls to /api/inventory, run as their users run them: their Python
(`requests`, `python-dotenv`) and Node.js (`axios`, `dotenv`) blocks, verbatim but for the base
URL and organization lines, against this API served over HTTP on loopback, the key in `.env`.
What they write is then read back through the native API and explained by the native ledger."""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from conftest import Api, new_organization

EXAMPLES = Path(__file__).parent.parent / "cannlytics" / "examples"
NODE_MODULES = Path(__file__).parent.parent / "cannlytics" / "node" / "node_modules"
STEPS = ("create", "get", "update", "delete")


@pytest.fixture
def served(gateway, services):
    """The gateway on a loopback port, for this test's store; yields its /api base URL."""
    server = make_server("127.0.0.1", 0, gateway, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api"
    server.shutdown()
    thread.join()


@pytest.fixture
def account(gateway, services, tmp_path):
    """An organization with a location, its key written to the .env file their examples load."""
    organization_id, key = new_organization(services, "Test Company")
    api = Api(gateway, key, organization_id)
    api.location()
    (tmp_path / ".env").write_text(f"CANNLYTICS_API_KEY={key}\n")
    return api


def as_ours(preamble: str, base: str, organization_id: str) -> str:
    """Their setup block with only the base URL and organization changed (one line each)."""
    changed, count = re.subn(r"(?m)^(BASE = |const base = )'[^']*'",
                             lambda m: f"{m[1]}'{base}'", preamble)
    changed, again = re.subn(r"(?m)^(ORG_ID = |const orgId = )'[^']*'",
                             lambda m: f"{m[1]}'{organization_id}'", changed)
    assert count == again == 1
    return changed


def run(kind: str, step: str, base: str, api: Api, folder: Path) -> str:
    """Their setup block and one step, as one script run in `folder` (where .env is)."""
    preamble = as_ours((EXAMPLES / f"preamble.{kind}").read_text(), base, api.organization_id)
    script = folder / f"{step}.{kind}"
    script.write_text(preamble + "\n" + (EXAMPLES / f"{step}.{kind}").read_text())
    if kind == "py":
        command = [sys.executable, script.name]
        env = dict(os.environ)
    else:
        command = [shutil.which("node") or "node", script.name]
        env = dict(os.environ, NODE_PATH=str(NODE_MODULES))
    env.pop("CANNLYTICS_API_KEY", None)  # the key comes from .env, as for their users
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def printed(output: str):
    """What a Python step printed after 'Response:'."""
    return ast.literal_eval(output.split("Response:", 1)[1].strip())


def native_item(api: Api, sku: str) -> dict | None:
    found = api.get("/api/v1/inventory", query={"sku": sku}).json["data"]
    return found[0] if found else None


def test_their_python_examples_run_as_written(served, account, tmp_path):
    created = printed(run("py", "create", served, account, tmp_path))
    assert created["success"] is True
    assert set(created["data"]) == set(printed_fields())
    assert created["data"]["item_id"] == "endo" and created["data"]["name"] == "Item"
    assert all(isinstance(value, str) for value in created["data"].values())

    listed = printed(run("py", "get", served, account, tmp_path))
    assert listed["success"] is True and [i["item_id"] for i in listed["data"]] == ["endo"]
    assert listed["data"][0] == created["data"]

    updated = printed(run("py", "update", served, account, tmp_path))
    assert updated == {"success": True,
                       "data": {"item_id": "endo", "strain_name": "Old-time Moonshine"}}

    item = native_item(account, "endo")
    assert item["product_name"] == "Item" and item["quantity"] == 0
    assert item["attributes"] == {"strain_name": "Old-time Moonshine"}
    deleted = printed(run("py", "delete", served, account, tmp_path))
    assert deleted == {"success": True, "data": []}
    assert native_item(account, "endo") is None  # archived: out of lists, its ledger kept
    archived = account.get(f"/api/v1/inventory/{item['id']}").json["data"]
    assert archived["archived_at"] is not None


@pytest.mark.skipif(not NODE_MODULES.exists() and not os.environ.get("CI"),
                    reason="`make test` installs axios and dotenv (npm ci); CI never skips this")
def test_their_axios_examples_run_as_written(served, account, tmp_path):
    created = run("js", "create", served, account, tmp_path)
    assert "success: true" in created and "item_id: 'endo'" in created, created
    listed = run("js", "get", served, account, tmp_path)
    assert "success: true" in listed and "item_id: 'endo'" in listed, listed
    updated = run("js", "update", served, account, tmp_path)
    assert "success: true" in updated and "strain_name: 'Old-time Moonshine'" in updated, updated
    item = native_item(account, "endo")
    assert item["product_name"] == "Item"
    assert item["attributes"] == {"strain_name": "Old-time Moonshine"}
    deleted = run("js", "delete", served, account, tmp_path)
    assert "{ success: true, data: [] }" in deleted, deleted
    assert native_item(account, "endo") is None


def printed_fields() -> list[str]:
    from inventory.cannlytics.fields import FIELDS
    return list(FIELDS)
