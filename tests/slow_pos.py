"""A REST POS on 127.0.0.1 that takes its time: each page (one row) is answered after `delay_s`,
and a page can be held back until the test releases it, so a sync can be caught mid-way."""
from __future__ import annotations

import threading
import time

from pos_server import PosServer


class SlowPos(PosServer):
    def __init__(self, pages: int | None = None, delay_s: float = 0.2, token: str = "pos-token"):
        """`pages`: how many pages a sync gets (None: it keeps paging)."""
        self.pages, self.delay_s = pages, delay_s
        self.served = 0                      # pages answered
        self.hold_page: int | None = None    # this page waits for `release`
        self.holding = threading.Event()     # set once a request waits on the held page
        self.release = threading.Event()
        super().__init__([], token=token, page_size=1)

    def answer(self, page: int, query: dict[str, str]) -> tuple[int, dict]:
        if page == self.hold_page:
            self.holding.set()
            self.release.wait(60)
        time.sleep(self.delay_s)
        more = self.pages is None or page + 1 < self.pages
        self.served += 1
        return 200, {"data": [{"sku": f"P-{page:05}", "quantity": 1}],
                     "next_cursor": str(page + 1) if more else None}

    def wait_served(self, count: int, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while self.served < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the POS served {self.served} pages, expected {count}")
            time.sleep(0.05)

    def stop(self):
        self.release.set()
        super().stop()
