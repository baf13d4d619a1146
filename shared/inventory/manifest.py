"""serverless.yaml, the one list of functions: names, sources, triggers, memory and timeouts,
and the one table of HTTP routes (which functions read through route_table.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .route_table import HttpRoute, project_root


# Serverless rates as infra/manifest.tf reads them (RE2 and Python agree on these patterns).
EVERY_MINUTES = r"^(every|rate\()\s*(\d+)\s*minutes?\)?$"
EVERY_HOURS = r"^(every|rate\()\s*(\d+)\s*hours?\)?$"


def to_cron(rate: str) -> str:
    """Serverless rates ("every 5 minutes", "rate(1 hour)") as unix-cron; cron passes through."""
    rate = rate.strip()
    count = re.search(r"(\d+)", rate)
    if re.match(EVERY_MINUTES, rate):
        return f"*/{count[1]} * * * *"
    if re.match(EVERY_HOURS, rate):
        return f"0 */{count[1]} * * *"
    return rate.removeprefix("cron(").removesuffix(")")


@dataclass(frozen=True)
class Timer:
    """One Cloud Scheduler job: when, which topic, and the message body the function reads."""

    rate: str
    topic: str
    data: str = ""

    @property
    def cron(self) -> str:
        return to_cron(self.rate)

    @property
    def period_s(self) -> float:
        """How often the job fires: every N minutes or hours, or daily at a fixed time."""
        minute, hour, *days = self.cron.split()
        if days != ["*", "*", "*"]:
            raise ValueError(f"{self.rate!r}: only minute, hourly and daily jobs have a period")
        if minute.startswith("*/") and hour == "*":
            return int(minute[2:]) * 60.0
        if minute.isdigit() and hour.startswith("*/"):
            return int(hour[2:]) * 3600.0
        if minute.isdigit() and hour.isdigit():
            return 86400.0
        raise ValueError(f"{self.rate!r} has no fixed period")


@dataclass(frozen=True)
class Function:
    name: str
    source: Path
    memory_mb: int
    timeout: str
    routes: tuple[HttpRoute, ...]
    topic: str | None = None     # Pub/Sub topic that triggers it (an `event`'s or its timers')
    timers: tuple[Timer, ...] = ()  # Cloud Scheduler jobs publishing to that topic
    prefix: str | None = None    # a dialect's: every path under it is this function's to answer

    def owns(self, path: str) -> bool:
        """Whether `path` is under this function's prefix."""
        return self.prefix is not None and (path == self.prefix
                                            or path.startswith(self.prefix.rstrip("/") + "/"))

    @property
    def trigger(self) -> str:
        return "http" if self.routes else "schedule" if self.timers else "event"

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


def load(root: Path | None = None) -> Manifest:
    import yaml  # not at a function's cold start: it reads its routes through route_table

    root = root or project_root()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when there
    document = yaml.load((root / "serverless.yaml").read_text(), Loader=loader)
    provider = document.get("provider", {})
    functions = []
    for name, spec in document["functions"].items():
        routes = tuple(HttpRoute(name, event["http"]["method"].upper(), event["http"]["path"],
                                 event["http"]["operation"])
                       for event in spec.get("events", []) if "http" in event)
        events = spec.get("events", [])
        topic = next((e["event"]["resource"].split("/")[-1] for e in events if "event" in e), None)
        timers = tuple(Timer(e["schedule"]["rate"], e["schedule"].get("topic", f"inventory-timers-{name}"),
                             str(e["schedule"].get("data", "")))
                       for e in events if "schedule" in e)
        functions.append(Function(
            name=name, source=root / spec["source"],
            memory_mb=int(spec.get("memorySize", provider.get("memorySize", 256))),
            timeout=str(spec.get("timeout", provider.get("timeout", "60s"))), routes=routes,
            topic=topic or (timers[0].topic if timers else None), timers=timers,
            prefix=spec.get("prefix")))
    return Manifest(root, tuple(functions))

