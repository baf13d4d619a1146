"""A generic REST POS: GET {base}/inventory?updated_after=…&cursor=… with a bearer token."""
from __future__ import annotations

from typing import Iterator

import requests

from ...domain import wire
from ...service.url_policy import check_webhook_url
from .pages import Page


class HttpPos:
    def __init__(self, base_url: str, token: str | None, allow_loopback: bool, timeout_s: float = 30):
        self.base_url = check_webhook_url(base_url, allow_loopback=allow_loopback).rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    def pages(self, since: str | None) -> Iterator[Page]:
        """Follows `next_cursor`; the newest `updated_at` seen becomes the next watermark."""
        session = requests.Session()
        if self.token:
            session.headers["Authorization"] = f"Bearer {self.token}"
        cursor, newest = None, since
        while True:
            params = {k: v for k, v in {"updated_after": since, "cursor": cursor}.items() if v}
            response = session.get(f"{self.base_url}/inventory", params=params,
                                   timeout=self.timeout_s, allow_redirects=False)
            response.raise_for_status()
            body = wire.loads(response.content)
            rows = body.get("data", [])
            stamps = [r.get("updated_at") for r in rows if isinstance(r, dict) and r.get("updated_at")]
            newest = max([newest or "", *stamps]) or None
            yield Page(rows, newest)
            cursor = body.get("next_cursor")
            if not cursor:
                return
