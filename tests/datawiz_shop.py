"""The demo shop as a Datawiz uploader sees it, on a local server of a test module's own: the
server, the demo key, the demo item, its location (a row's `shop_id`) and today's date there."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest

from local_server import LocalServer


@dataclass(frozen=True)
class DemoShop:
    server: LocalServer
    key: str
    item: dict
    location: dict
    today: str  # YYYY-MM-DD in the location's time zone


@pytest.fixture(scope="module")
def demo_shop(tmp_path_factory) -> Iterator[DemoShop]:
    server = LocalServer(tmp_path_factory.mktemp("datawiz") / "data")
    try:
        item = server.item("BD-35")
        location = next(l for l in server.call("GET", "/locations").json()["data"]
                        if l["id"] == item["location_id"])
        yield DemoShop(server, server.session.headers["Authorization"].removeprefix("Bearer "), item,
                       location, datetime.now(ZoneInfo(location["time_zone"])).date().isoformat())
    finally:
        server.stop()
