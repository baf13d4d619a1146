"""The table of HTTP routes — method, path template, function, operation — as serverless.yaml
declares it, read at a function's cold start without parsing YAML.

A deployed bundle has no serverless.yaml (nor PyYAML): scripts/build_bundles.py writes the table
beside this module as routes.json. A checkout parses serverless.yaml once and keeps the table in
build/route_table.json, as Python keeps compiled modules in __pycache__; the copy names the hash
of the serverless.yaml it was read from, and is read again whenever that file changes.
"""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

BUNDLED = Path(__file__).with_name("routes.json")


class HttpRoute(NamedTuple):
    function: str
    method: str
    path: str       # a template: /api/v1/inventory/{item_id}
    operation: str  # the function's handler (its name), also the OpenAPI operationId


def project_root() -> Path:
    """The folder holding serverless.yaml: INVENTORY_PROJECT_ROOT, or found above this file."""
    if os.environ.get("INVENTORY_PROJECT_ROOT"):
        return Path(os.environ["INVENTORY_PROJECT_ROOT"])
    for folder in [Path.cwd(), *Path(__file__).resolve().parents]:
        if (folder / "serverless.yaml").exists():
            return folder
    raise FileNotFoundError("serverless.yaml not found; set INVENTORY_PROJECT_ROOT")


@lru_cache(maxsize=1)
def route_table() -> tuple[HttpRoute, ...]:
    """Every HTTP route, in serverless.yaml's order."""
    if BUNDLED.exists():
        return tuple(HttpRoute(*route) for route in json.loads(BUNDLED.read_text()))
    root = project_root()
    source = hashlib.sha256((root / "serverless.yaml").read_bytes()).hexdigest()
    kept = root / "build" / "route_table.json"
    try:
        copy = json.loads(kept.read_text())
        if copy["source"] == source:
            return tuple(HttpRoute(*route) for route in copy["routes"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from .manifest import load  # PyYAML: once per change of serverless.yaml
    routes = tuple(load(root).http_routes)
    _keep(kept, {"source": source, "routes": routes})
    return routes


def write_bundled(routes: tuple[HttpRoute, ...] | list[HttpRoute], target: Path) -> None:
    """The table as a bundle carries it (`target` is the bundle's inventory/routes.json)."""
    target.write_text(json.dumps(list(routes), indent=1) + "\n")


def _keep(path: Path, content: dict) -> None:
    """Write the copy whole or not at all (another process may be reading it); a checkout that
    cannot be written to just parses serverless.yaml each time."""
    try:
        path.parent.mkdir(exist_ok=True)
        scratch = path.with_name(f"{path.name}.{os.getpid()}")
        scratch.write_text(json.dumps(content))
        os.replace(scratch, path)
    except OSError:
        pass
