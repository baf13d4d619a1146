"""Datawiz's browsable page (`.api`, `?format=api`) renders in a real browser: headless Chromium
opens it on the local server with the key in the address's fragment, the page's script reads the
collection and draws its rows, and the form to post a row has every field of the row model."""
from __future__ import annotations

import os
import subprocess
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from inventory.datawiz.rows import InventoryRow
from local_server import LocalServer

from test_docs_page_browser import CHROMIUM

# Opened under a name mapped to 127.0.0.1, every other name unresolved, as the docs page test does.
HOST = "datawiz.inventory.test"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Chromium is missing: `make test` installs it with apt")


class Page(HTMLParser):
    """The text of the results table's cells, and the names of the form's inputs."""

    def __init__(self, html: str):
        super().__init__()
        self.cells: list[str] = []
        self.inputs: list[str] = []
        self._in_results = self._in_cell = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "table" and attributes.get("id") == "results":
            self._in_results = True
        if tag == "td" and self._in_results:
            self._in_cell = True
            self.cells.append("")
        if tag == "input":
            self.inputs.append(attributes.get("name"))

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_results = False
        if tag == "td":
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.cells[-1] += data


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    local = LocalServer(tmp_path_factory.mktemp("datawiz") / "data")
    try:
        yield local
    finally:
        local.stop()


def dump_dom(url: str, folder) -> str:
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={folder / 'profile'}", f"--host-resolver-rules=MAP {HOST} 127.0.0.1, MAP * ~NOTFOUND",
               "--virtual-time-budget=10000", "--dump-dom", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, HOME=str(folder)))
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def page_url(server, path: str) -> str:
    return f"http://{HOST}:{server.port}/api/v1/product-inventory/{path}"


def test_the_browsable_page_draws_the_posted_rows_and_a_form_for_a_row(server, tmp_path):
    item = server.item()
    location = next(l for l in server.call("GET", "/locations").json()["data"]
                    if l["id"] == item["location_id"])
    today = datetime.now(ZoneInfo(location["time_zone"])).date().isoformat()
    row = {"date": today, "shop_id": location["id"], "product_id": item["product_id"],
           "qty": 2, "original_price": "46.67", "stock_total_price": "0.00"}
    posted = server.session.post(server.base + "/product-inventory/", json=row, timeout=30)
    assert posted.status_code == 201, posted.text
    key = server.session.headers["Authorization"].removeprefix("Bearer ")

    drawn = Page(dump_dom(page_url(server, f".api#key={key}"), tmp_path))
    assert drawn.cells == [today, location["id"], item["product_id"], "2.0000", "46.6700", "93.3400"]
    assert drawn.inputs == ["api_key", *InventoryRow.model_fields]

    # Without a key the page still opens, saying why it shows no rows.
    bare = dump_dom(page_url(server, "?format=api"), tmp_path)
    assert Page(bare).cells == [] and "detail" in bare
