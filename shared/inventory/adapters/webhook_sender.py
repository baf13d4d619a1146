"""Posting a signed webhook over HTTP, with a short timeout and no redirects."""
from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter

from ..domain.errors import InvalidInput
from ..service.ports import SendResult
from ..service.url_policy import check_webhook_url


class HttpWebhookSender:
    def __init__(self, allow_loopback: bool, connections: int = 16):
        """`connections`: kept-alive connections per host, as many as deliveries run at once
        (requests keeps 10 by default and reconnects for the rest)."""
        self._allow_loopback = allow_loopback
        self._session = requests.Session()
        for scheme in ("https://", "http://"):
            self._session.mount(scheme, HTTPAdapter(pool_connections=connections,
                                                    pool_maxsize=connections))

    def post(self, url: str, headers: dict[str, str], body: str, timeout_s: float) -> SendResult:
        try:
            # Checked again at send time: a host may have been pointed elsewhere since subscribing.
            check_webhook_url(url, allow_loopback=self._allow_loopback)
        except InvalidInput as refusal:
            return SendResult(None, refusal.message)
        try:
            response = self._session.post(url, data=body.encode(), headers=headers,
                                          timeout=timeout_s, allow_redirects=False)
        except requests.RequestException as error:
            return SendResult(None, f"{type(error).__name__}: {str(error)[:300]}")
        return SendResult(response.status_code, None if response.ok else response.text[:300])
