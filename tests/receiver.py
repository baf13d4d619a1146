"""Real webhook receivers on 127.0.0.1: one that records what it is sent and answers as told, and
one that hangs. bench/webhook_isolation.py serves its subscribers with these too."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Records each post (`at`: time.monotonic() once its body is read and `delay_s` waited) and
    answers `status`; `keep_alive` speaks HTTP/1.1, so a sender's pooled connection is reused."""

    def __init__(self, port: int = 0, status: int = 200, delay_s: float = 0.0,
                 keep_alive: bool = False):
        self.status = status
        self.delay_s = delay_s
        self.received: list[dict] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                with receiver._lock:
                    receiver.received.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body, "at": time.monotonic(),
                                              "status": receiver.status})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, count: int, timeout_s: float = 15.0, path: str | None = None) -> list[dict]:
        """The first `count` or more posts (to `path` only, if given), once they have arrived."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                found = [r for r in self.received if path is None or r["path"] == path]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(f"received {len(found)} webhooks, expected {count}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HangingReceiver:
    """Takes each post and never answers until released (a subscriber that hangs)."""

    def __init__(self):
        self.arrived = 0
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.arrived += 1
                receiver.release.wait(120)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
