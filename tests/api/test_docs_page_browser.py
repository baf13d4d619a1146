"""The API reference page renders in a real browser: Debian's Chromium, headless, opens /api/v1/docs
on the local server, Swagger UI draws every operation of the served OpenAPI document, and the page
asks no host but the server for anything. `make test` installs Chromium with apt."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from local_server import LocalServer

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 2000
# Swagger UI leaves out its online validator badge (an image from validator.swagger.io) when the
# page is on localhost or 127.0.0.1, so the browser opens it under a name mapped to 127.0.0.1, as a
# deployed page would be seen. Every other name fails to resolve: Chromium still calls update and
# account servers at start, and on a closed network those would wait.
HOST = "docs.inventory.test"
GET_BADGE, POST_BADGE = "61affe", "49cc90"  # the method colours in swagger-ui.css

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Chromium is missing: `make test` installs it with apt")


@pytest.fixture(scope="module")
def server_port(tmp_path_factory):
    server = LocalServer(tmp_path_factory.mktemp("server") / "data")
    yield server.port
    server.stop()


@pytest.fixture(scope="module")
def page_url(server_port) -> str:
    return f"http://{HOST}:{server_port}/api/v1/docs"


@pytest.fixture(scope="module")
def rendered(page_url, tmp_path_factory) -> Path:
    """One headless Chromium run: the DOM after the scripts ran, a screenshot and its network log."""
    folder = tmp_path_factory.mktemp("chromium")
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={folder / 'profile'}",
        f"--host-resolver-rules=MAP {HOST} 127.0.0.1, MAP * ~NOTFOUND",
        f"--log-net-log={folder / 'net-log.json'}",
        "--virtual-time-budget=10000",  # lets the scripts fetch the document and draw it
        "--dump-dom", f"--screenshot={folder / 'docs.png'}", f"--window-size={WIDTH},{HEIGHT}",
        page_url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, HOME=str(folder)))  # keeps its crash folder out of ~
    assert result.returncode == 0, result.stderr[-3000:]
    (folder / "dom.html").write_text(result.stdout)
    return folder


@pytest.fixture(scope="module")
def document(server_port) -> dict:
    return requests.get(f"http://127.0.0.1:{server_port}/api/v1/openapi.json", timeout=10).json()


class Elements(HTMLParser):
    """The ids and data-path attributes of an HTML page's elements."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: set[str] = set()
        self.paths: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.ids.add(attributes.get("id"))
        self.paths.add(attributes.get("data-path"))


def test_the_page_script_draws_every_operation_of_the_served_document(rendered, document, page_url):
    operations = {f"operations-{operation['tags'][0]}-{operation['operationId']}"
                  for methods in document["paths"].values() for operation in methods.values()}
    assert len(operations) >= 20
    drawn = Elements((rendered / "dom.html").read_text())
    assert operations <= drawn.ids
    assert set(document["paths"]) <= drawn.paths
    static = Elements(requests.get(page_url.replace(HOST, "127.0.0.1"), timeout=10).text)
    assert not operations & static.ids and static.paths == {None}  # the script drew them, not the HTML


def page_requests(net_log: Path) -> list[str]:
    """The URLs the page asked for; the browser's own requests have no origin as initiator."""
    log = json.loads(net_log.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    starts = (event.get("params", {}) for event in log["events"] if event["type"] == start)
    return [params["url"] for params in starts if params.get("initiator") not in (None, "not an origin")]


def test_the_page_loads_nothing_from_another_host(rendered, server_port):
    asked = page_requests(rendered / "net-log.json")
    own = {"/api/v1/openapi.json", "/api/v1/docs/assets/swagger-ui.css",
           "/api/v1/docs/assets/swagger-ui-bundle.js"}
    assert {urlsplit(url).path for url in asked} >= own  # the log saw the page's own requests
    assert [url for url in asked if urlsplit(url).netloc != f"{HOST}:{server_port}"] == []


def unfilter(kind: int, row: bytearray, previous: bytes, bpp: int) -> bytes:
    """A PNG row's pixels from its filtered bytes: filter none, sub, up, average or Paeth."""
    if kind == 1:
        for i in range(bpp, len(row)):
            row[i] = (row[i] + row[i - bpp]) & 255
    elif kind == 2:
        row = bytearray((a + b) & 255 for a, b in zip(row, previous))
    elif kind == 3:
        for i in range(len(row)):
            row[i] = (row[i] + ((row[i - bpp] if i >= bpp else 0) + previous[i]) // 2) & 255
    elif kind == 4:
        for i in range(len(row)):
            left, up = (row[i - bpp], previous[i]) if i >= bpp else (0, previous[i])
            up_left = previous[i - bpp] if i >= bpp else 0
            guess = left + up - up_left
            to_left, to_up, to_up_left = abs(guess - left), abs(guess - up), abs(guess - up_left)
            if to_left <= to_up and to_left <= to_up_left:
                nearest = left
            else:
                nearest = up if to_up <= to_up_left else up_left
            row[i] = (row[i] + nearest) & 255
    return bytes(row)


def png_rows(png: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and pixel rows of an 8-bit RGB(A) PNG, every CRC checked."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = [], 8
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        body = png[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", png[position + 8 + length:position + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        position += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    assert len(raw) == height * (stride + 1)
    rows, previous = [], bytes(stride)
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        previous = unfilter(line[0], bytearray(line[1:]), previous, bpp)
        rows.append(previous)
    return width, height, bpp, rows


def test_the_screenshot_shows_a_styled_page_over_the_whole_window(rendered):
    width, height, bpp, rows = png_rows((rendered / "docs.png").read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    inside = (width - 32) * bpp  # leaves out the scrollbar, which is drawn on every row
    background = rows[0][:bpp]
    plain = sum(row[:inside] == background * (width - 32) for row in rows)
    assert plain < height / 2, f"{plain} of {height} rows are only the background colour"
    alpha = b"\xff" if bpp == 4 else b""
    for badge in (GET_BADGE, POST_BADGE):  # swagger-ui.css was applied: method badges in colour
        run = (bytes.fromhex(badge) + alpha) * 20  # 20 pixels side by side
        assert sum(run in row for row in rows) > 50, badge
