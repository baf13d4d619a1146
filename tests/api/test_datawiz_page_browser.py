"""Datawiz's browsable page (`.api`, `?format=api`) renders in a real browser: headless Chromium
opens it on the local server with the key in the address's fragment, the page's script reads the
collection and draws its rows, and the form to post a row has every field of the row model; driven
over the DevTools protocol (on a pipe, no extra library), the form posts a row and shows the answer."""
from __future__ import annotations

import json
import os
import subprocess
import time
from html.parser import HTMLParser

import pytest

from datawiz_shop import demo_shop  # noqa: F401 - the fixture
from inventory.datawiz.rows import InventoryRow

from api.test_docs_page_browser import CHROMIUM

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


def test_the_browsable_page_draws_the_posted_rows_and_a_form_for_a_row(demo_shop, tmp_path):
    server, key, item, location, today = (demo_shop.server, demo_shop.key, demo_shop.item,
                                          demo_shop.location, demo_shop.today)
    row = {"date": today, "shop_id": location["id"], "product_id": item["product_id"],
           "qty": 2, "original_price": "46.67", "stock_total_price": "0.00"}
    posted = server.session.post(server.base + "/product-inventory/", json=row, timeout=30)
    assert posted.status_code == 201, posted.text

    drawn = Page(dump_dom(page_url(server, f".api#key={key}"), tmp_path))
    assert drawn.cells == [today, location["id"], item["product_id"], "2.0000", "46.6700", "93.3400"]
    assert drawn.inputs == ["api_key", *InventoryRow.model_fields]

    # Without a key the page still opens, saying why it shows no rows.
    bare = dump_dom(page_url(server, "?format=api"), tmp_path)
    assert Page(bare).cells == [] and "detail" in bare


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
    JSON messages ending in NUL, written to its fd 3 and read from its fd 4)."""

    def __init__(self, folder):
        to_chromium, self._to_chromium = os.pipe()
        self._from_chromium, from_chromium = os.pipe()

        def give_pipes():  # in the child, before exec
            os.dup2(to_chromium, 3)
            os.dup2(from_chromium, 4)

        self.process = subprocess.Popen(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={folder / 'profile'}",
             f"--host-resolver-rules=MAP {HOST} 127.0.0.1, MAP * ~NOTFOUND",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=give_pipes, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=dict(os.environ, HOME=str(folder)))
        os.close(to_chromium)
        os.close(from_chromium)
        self._sent = 0
        self._unread = b""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._sent += 1
        message = {"id": self._sent, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_chromium, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._unread:
                chunk = os.read(self._from_chromium, 65536)
                assert chunk, "Chromium closed its pipe"
                self._unread += chunk
            raw, self._unread = self._unread.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self._sent:
                assert "error" not in answer, answer
                return answer["result"]

    def open(self, url: str, title: str) -> None:
        self.send("Page.navigate", {"url": url}, self.session)
        deadline = time.monotonic() + 30
        while self.run("document.readyState === 'complete' && document.title") != title:
            assert time.monotonic() < deadline, f"{url} did not load"
            time.sleep(0.05)

    def run(self, expression: str):
        """The value of a JavaScript expression in the page (awaited if it is a promise)."""
        found = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                               "returnByValue": True}, self.session)
        assert "exceptionDetails" not in found, found
        return found["result"].get("value")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        os.close(self._to_chromium)
        os.close(self._from_chromium)


POST_THROUGH_THE_FORM = """(async () => {
  const form = document.getElementById("post-row");
  const shown = document.getElementById("post-result");
  shown.textContent = "";
  for (const [name, value] of Object.entries(%s)) form.elements[name].value = value;
  form.requestSubmit();
  for (let i = 0; i < 400 && !shown.textContent; i++) await new Promise(r => setTimeout(r, 25));
  await new Promise(r => setTimeout(r, 200));  // the table is drawn again after the answer
  return {answer: shown.textContent,
          cells: [...document.querySelectorAll("#results td")].map(cell => cell.textContent)};
})()"""


def test_the_form_posts_a_row_and_the_page_shows_the_answer_and_the_row(demo_shop, tmp_path):
    server, key, item, location, today = (demo_shop.server, demo_shop.key, demo_shop.item,
                                          demo_shop.location, demo_shop.today)
    browser = Browser(tmp_path)
    try:
        browser.open(page_url(server, "?format=api"), "Product Inventory List")
        typed = {"api_key": key, "date": today, "shop_id": location["id"],
                 "product_id": item["product_id"], "qty": "3", "original_price": "10"}
        shown = browser.run(POST_THROUGH_THE_FORM % json.dumps(typed))
        status, body = shown["answer"].split("\n", 1)
        assert status == "HTTP 201" and set(json.loads(body)) == {"updated", "inserted"}
        assert [today, location["id"], item["product_id"], "3.0000", "10.0000", "30.0000"] in [
            shown["cells"][i:i + 6] for i in range(0, len(shown["cells"]), 6)]

        refused = browser.run(POST_THROUGH_THE_FORM % json.dumps(dict(typed, qty="many")))
        status, body = refused["answer"].split("\n", 1)
        assert status == "HTTP 400" and json.loads(body) == {"qty": ["A valid number is required."]}
    finally:
        browser.close()
    assert server.item("BD-35")["quantity"] == 3
