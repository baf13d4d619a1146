"""Posting a signed webhook over HTTP, with a short timeout and no redirects."""
from __future__ import annotations

import requests

from ..domain.errors import InvalidInput
from ..service.ports import SendResult
from ..service.url_policy import Resolver, UrlPolicy, resolve
from .checked_http import checked_session


class HttpWebhookSender:
    def __init__(self, allow_loopback: bool, connections: int = 16, resolver: Resolver = resolve):
        """`connections`: kept-alive connections per host, as many as deliveries run at once
        (requests keeps 10 by default and reconnects for the rest)."""
        # Every post is checked again when it is sent (a host may have been pointed elsewhere
        # since subscribing) and goes to the address that check resolved.
        self._session = checked_session(UrlPolicy(allow_loopback, resolver), "url", connections)

    def post(self, url: str, headers: dict[str, str], body: str, timeout_s: float) -> SendResult:
        try:
            response = self._session.post(url, data=body.encode(), headers=headers,
                                          timeout=timeout_s, allow_redirects=False)
        except InvalidInput as refusal:
            return SendResult(None, refusal.message)
        except requests.RequestException as error:
            return SendResult(None, f"{type(error).__name__}: {str(error)[:300]}")
        return SendResult(response.status_code, None if response.ok else response.text[:300])
