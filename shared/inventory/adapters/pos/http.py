"""A generic REST POS: GET {base}/inventory?updated_after=…&cursor=… with a bearer token.

Every request passes the URL policy and goes to the address it checked; a POS that keeps
sending pages is stopped at the sync's limits (pages and seconds).
"""
from __future__ import annotations

from typing import Iterator

import requests

from ...domain import wire
from ...service.url_policy import UrlPolicy
from ..checked_http import checked_session
from .pages import Page, PosLimits

FIELD = "settings.base_url"


class HttpPos:
    def __init__(self, base_url: str, token: str | None, policy: UrlPolicy,
                 limits: PosLimits = PosLimits(), timeout_s: float = 30):
        self.base_url = policy.check(base_url, FIELD).url.rstrip("/")
        self.token = token
        self.policy, self.limits, self.timeout_s = policy, limits, timeout_s

    def pages(self, since: str | None) -> Iterator[Page]:
        """Follows `next_cursor`; the newest `updated_at` seen becomes the next watermark."""
        session = checked_session(self.policy, FIELD)
        if self.token:
            session.headers["Authorization"] = f"Bearer {self.token}"
        budget = self.limits.budget()
        cursor, newest = None, since
        while True:
            params = {k: v for k, v in {"updated_after": since, "cursor": cursor}.items() if v}
            timeout_s = budget.next_request(self.timeout_s)
            try:
                response = session.get(f"{self.base_url}/inventory", params=params,
                                       timeout=timeout_s, allow_redirects=False)
            except requests.Timeout:
                budget.check_time()  # the sync's time ran out while waiting: say so
                raise
            response.raise_for_status()
            body = wire.loads(response.content)
            rows = body.get("data", [])
            stamps = [r.get("updated_at") for r in rows if isinstance(r, dict) and r.get("updated_at")]
            newest = max([newest or "", *stamps]) or None
            yield Page(rows, newest)
            cursor = body.get("next_cursor")
            if not cursor:
                return
