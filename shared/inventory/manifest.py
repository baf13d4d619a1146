"""serverless.yaml, the one list of functions: names, sources, triggers, memory and timeouts."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .http.paths import compile_template


@dataclass(frozen=True)
class HttpRoute:
    function: str
    method: str
    path: str

    @property
    def pattern(self) -> re.Pattern[str]:
        return compile_template(self.path)

    @property
    def parameter_count(self) -> int:
        return self.path.count("{")


@dataclass(frozen=True)
class Function:
    name: str
    source: Path
    memory_mb: int
    timeout: str
    routes: tuple[HttpRoute, ...]
    topic: str | None = None     # Pub/Sub topic that triggers it (an `event` or a `schedule`)
    schedule: str | None = None  # Cloud Scheduler rate, for timer functions

    @property
    def trigger(self) -> str:
        return "http" if self.routes else "schedule" if self.schedule else "event"

    @property
    def main(self) -> Path:
        return self.source / "main.py"


@dataclass(frozen=True)
class Manifest:
    root: Path
    functions: tuple[Function, ...]

    @property
    def http_routes(self) -> list[HttpRoute]:
        return [route for function in self.functions for route in function.routes]

    def function(self, name: str) -> Function:
        return next(f for f in self.functions if f.name == name)


def project_root() -> Path:
    """The folder holding serverless.yaml: INVENTORY_PROJECT_ROOT, or found above this file."""
    if os.environ.get("INVENTORY_PROJECT_ROOT"):
        return Path(os.environ["INVENTORY_PROJECT_ROOT"])
    for folder in [Path.cwd(), *Path(__file__).resolve().parents]:
        if (folder / "serverless.yaml").exists():
            return folder
    raise FileNotFoundError("serverless.yaml not found; set INVENTORY_PROJECT_ROOT")


def load(root: Path | None = None) -> Manifest:
    root = root or project_root()
    document = yaml.safe_load((root / "serverless.yaml").read_text())
    provider = document.get("provider", {})
    functions = []
    for name, spec in document["functions"].items():
        routes = tuple(HttpRoute(name, event["http"]["method"].upper(), event["http"]["path"])
                       for event in spec.get("events", []) if "http" in event)
        events = spec.get("events", [])
        topic = next((e["event"]["resource"] for e in events if "event" in e), None)
        schedule = next((e["schedule"] for e in events if "schedule" in e), None)
        functions.append(Function(
            name=name, source=root / spec["source"],
            memory_mb=int(spec.get("memorySize", provider.get("memorySize", 256))),
            timeout=str(spec.get("timeout", provider.get("timeout", "60s"))), routes=routes,
            topic=topic or (schedule or {}).get("topic"),
            schedule=(schedule or {}).get("rate")))
    return Manifest(root, tuple(functions))
