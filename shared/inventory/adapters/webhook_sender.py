"""Posting a signed webhook over HTTP, with a short timeout and no redirects."""
from __future__ import annotations

import requests

from ..domain.errors import InvalidInput
from ..service.ports import SendResult
from ..service.url_policy import check_webhook_url


class HttpWebhookSender:
    def __init__(self, allow_loopback: bool):
        self._allow_loopback = allow_loopback
        self._session = requests.Session()

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
