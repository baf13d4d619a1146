"""A real REST POS on 127.0.0.1: GET /inventory?updated_after=&cursor= with a bearer token.
`answer` makes each page: a subclass serves other pages (slow_pos.SlowPos)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class PosServer:
    def __init__(self, rows: list[dict], token: str = "pos-token", page_size: int = 2):
        self.rows, self.token, self.page_size = rows, token, page_size
        self.fail_on_page: int | None = None
        self.endless = False  # always a next page, as a POS stuck in a loop
        self.requests: list[dict] = []
        pos = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                pos.requests.append({"path": parts.path, "query": query,
                                     "authorization": self.headers.get("Authorization")})
                if self.headers.get("Authorization") != f"Bearer {pos.token}":
                    return self._send(401, {"error": "unauthorized"})
                self._send(*pos.answer(int(query.get("cursor", "0")), query))

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
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, page: int, query: dict[str, str]) -> tuple[int, dict]:
        """(status, body) of page `page` to a request with the right token: the rows updated
        after `updated_after`, `page_size` a page."""
        if self.fail_on_page == page:
            return 500, {"error": "POS database is down"}
        rows = [r for r in self.rows if r.get("updated_at", "") > query.get("updated_after", "")]
        chunk = rows[page * self.page_size:(page + 1) * self.page_size]
        more = self.endless or (page + 1) * self.page_size < len(rows)
        return 200, {"data": chunk, "next_cursor": str(page + 1) if more else None}

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
