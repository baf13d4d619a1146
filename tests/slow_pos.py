"""A REST POS on 127.0.0.1 that takes its time: each page (one row) is answered after `delay_s`,
and a page can be held back until the test releases it, so a sync can be caught mid-way."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class SlowPos:
    def __init__(self, pages: int | None = None, delay_s: float = 0.2, token: str = "pos-token"):
        """`pages`: how many pages a sync gets (None: it keeps paging)."""
        self.pages, self.delay_s, self.token = pages, delay_s, token
        self.served = 0                      # pages answered
        self.hold_page: int | None = None    # this page waits for `release`
        self.holding = threading.Event()     # set once a request waits on the held page
        self.release = threading.Event()
        pos = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.headers.get("Authorization") != f"Bearer {pos.token}":
                    return self._send(401, {"error": "unauthorized"})
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                page = int(query.get("cursor", "0"))
                if page == pos.hold_page:
                    pos.holding.set()
                    pos.release.wait(60)
                time.sleep(pos.delay_s)
                more = pos.pages is None or page + 1 < pos.pages
                pos.served += 1
                self._send(200, {"data": [{"sku": f"P-{page:05}", "quantity": 1}],
                                 "next_cursor": str(page + 1) if more else None})

            def _send(self, status, body):
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_served(self, count: int, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while self.served < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the POS served {self.served} pages, expected {count}")
            time.sleep(0.05)

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
