"""Which webhook URLs may receive events: https to public addresses, unless configured for local use."""
from __future__ import annotations

import ipaddress
import socket
from typing import Callable, Iterable
from urllib.parse import urlsplit

from ..domain.errors import InvalidInput

Resolver = Callable[[str, int], Iterable[str]]


def resolve(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]


def check_webhook_url(url: str, *, allow_loopback: bool, resolver: Resolver = resolve) -> str:
    """Refuse URLs that are not https or that reach private, loopback or link-local addresses.

    With `allow_loopback` (local mode, set explicitly) http and loopback hosts are accepted, and
    only those; other private addresses stay refused.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput("url must be an absolute https URL", "url", "invalid_url")
    if parts.username or parts.password:
        raise InvalidInput("url must not carry credentials", "url", "invalid_url")
    if parts.scheme != "https" and not allow_loopback:
        raise InvalidInput("url must use https", "url", "insecure_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput("url has an invalid port", "url", "invalid_url") from None
    try:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolver(parts.hostname, port)]
    except (OSError, ValueError):
        raise InvalidInput(f"url host {parts.hostname} does not resolve", "url", "unresolvable_url") from None
    if not addresses:
        raise InvalidInput(f"url host {parts.hostname} does not resolve", "url", "unresolvable_url")
    all_loopback = all(a.is_loopback for a in addresses)
    if allow_loopback and all_loopback:
        return url
    if parts.scheme != "https":
        raise InvalidInput("url must use https", "url", "insecure_url")
    for address in addresses:
        if (address.is_private or address.is_loopback or address.is_link_local
                or address.is_multicast or address.is_reserved or address.is_unspecified):
            raise InvalidInput(f"url resolves to a non-public address ({address})", "url",
                               "private_url")
    return url
