"""serverless.yaml read the way infra/ reads it: functions, triggers, topics, timers, gateway paths.

infra/manifest.tf and infra/gateway.tf compute the same things in Terraform; this module is
their executable twin, used by the tests and by `python scripts/deploy_manifest.py`, which
prints the gateway's OpenAPI document with placeholder function URLs.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from inventory.manifest import EVERY_HOURS, EVERY_MINUTES, Timer, to_cron  # noqa: F401 (re-exported)

ROOT = Path(__file__).resolve().parents[1]
PUBSUB_EVENT = "google.cloud.pubsub.topic.v1.messagePublished"
READ_METHODS = {"GET", "HEAD"}
# Every method a gateway path takes, OPTIONS aside: one a path does not declare still reaches a
# function, which answers 405 with `Allow` in its dialect's shape.
GATEWAY_METHODS = ("get", "put", "post", "delete", "patch", "head")


@dataclass(frozen=True)
class Route:
    function: str
    method: str
    path: str


@dataclass(frozen=True)
class DeployedFunction:
    name: str
    handler: str
    memory_mb: int
    timeout_s: int
    routes: tuple[Route, ...]
    event_topic: str | None
    timers: tuple[Timer, ...]
    # Distributions beyond the base set that its code imports (`requirements:` in the manifest).
    requirements: tuple[str, ...] = ()
    prefix: str | None = None  # a dialect's: every path under it reaches this function

    @property
    def topic(self) -> str | None:
        """The Pub/Sub topic that starts it (its event's, or its timers'), None for HTTP."""
        if self.routes:
            return None
        return self.event_topic or (self.timers[0].topic if self.timers else None)

    @property
    def read_only(self) -> bool:
        """An HTTP function with only GET routes: it never writes, so it never publishes."""
        return bool(self.routes) and all(r.method in READ_METHODS for r in self.routes)


def load(path: Path = ROOT / "serverless.yaml") -> dict[str, DeployedFunction]:
    document = yaml.safe_load(Path(path).read_text())
    provider = document.get("provider", {})
    functions = {}
    for name, spec in document["functions"].items():
        events = spec.get("events", [])

        def events_of(kind: str, key: str) -> list[dict]:
            return [e[kind] for e in events if isinstance(e.get(kind), dict) and key in e[kind]]

        schedules = events_of("schedule", "rate")
        topics = [e["resource"].split("/")[-1] for e in events_of("event", "resource")]
        functions[name] = DeployedFunction(
            name=name, handler=spec.get("handler", name),
            memory_mb=int(spec.get("memorySize", provider.get("memorySize", 256))),
            timeout_s=int(str(spec.get("timeout", provider.get("timeout", "60s"))).removesuffix("s")),
            routes=tuple(Route(name, e["method"].upper(), e["path"]) for e in events_of("http", "path")),
            event_topic=topics[0] if topics else None,
            timers=tuple(Timer(s["rate"], s.get("topic", f"inventory-timers-{name}"), str(s.get("data", "")))
                         for s in schedules),
            requirements=tuple(spec.get("requirements", ())), prefix=spec.get("prefix"))
    return functions


def timers(functions: dict[str, DeployedFunction]) -> dict[str, Timer]:
    """The Cloud Scheduler jobs, keyed as infra/manifest.tf keys local.timers."""
    return {f"{name}-{index}": timer for name, f in functions.items() if not f.routes
            for index, timer in enumerate(f.timers)}


def topics(functions: dict[str, DeployedFunction],
           base: tuple[str, ...] = ("inventory-events", "inventory-sync-requests")) -> set[str]:
    return set(base) | {f.topic for f in functions.values() if f.topic}


def operation_id(method: str, path: str) -> str:
    return "_".join([method.lower(), *re.findall(r"[A-Za-z0-9]+", path)])


def openapi(functions: dict[str, DeployedFunction], uri_of=lambda name: f"https://{name}.example.run.app",
            private: bool = True) -> dict:
    """The gateway's OpenAPI 2.0 document, as infra/gateway.tf builds it."""
    def backend(function: DeployedFunction) -> dict:
        auth = {"jwt_audience": uri_of(function.name)} if private else {"disable_auth": True}
        return {"address": uri_of(function.name), "path_translation": "APPEND_PATH_TO_ADDRESS",
                "deadline": function.timeout_s, **auth}

    def operation(method: str, path: str, function: str) -> dict:
        return {"operationId": operation_id(method, path), "summary": function,
                "x-google-backend": backend(functions[function]),
                "responses": {"default": {"description": "See the API reference"}}}

    # In Terraform's order: local.http_functions is a map, walked by function name.
    routes = [route for name in sorted(functions) for route in functions[name].routes]
    paths: dict[str, dict] = {}
    for path in dict.fromkeys(route.path for route in routes):
        serving = [route for route in routes if route.path == path]
        item = {"options": {"operationId": operation_id("options", path), "summary": "CORS preflight",
                            "x-google-backend": backend(functions[serving[0].function]),
                            "responses": {"204": {"description": "Preflight answered by the function"}}}}
        for method in GATEWAY_METHODS:
            # Its route's function; HEAD: GET's; another method: the first serving the path.
            chosen = [r.function for r in serving if r.method.lower() == method] + \
                     [r.function for r in serving if method == "head" and r.method == "GET"] + \
                     [serving[0].function]
            item[method] = operation(method, path, chosen[0])
        item["parameters"] = [{"name": name, "in": "path", "required": True, "type": "string"}
                              for name in re.findall(r"\{([^}]+)\}", path)]
        paths[path] = item
    # A dialect's prefix: any other path under it reaches its function, which answers 404 (or
    # 405) in its dialect's shape.
    for function in functions.values():
        if function.prefix:
            path = function.prefix.rstrip("/") + "/{rest=**}"
            item = {method: operation(method, path, function.name)
                    for method in ("options", *GATEWAY_METHODS)}
            item["parameters"] = [{"name": "rest", "in": "path", "required": True, "type": "string"}]
            paths[path] = item
    return {"swagger": "2.0", "info": {"title": "inventory-api", "version": "1.0.0"},
            "schemes": ["https"], "produces": ["application/json"], "paths": paths}


if __name__ == "__main__":
    manifest = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "serverless.yaml"
    print(yaml.safe_dump(openapi(load(manifest)), sort_keys=False), end="")
