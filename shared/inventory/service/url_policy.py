"""Which URLs the service may send to (webhooks, REST POS, S3 endpoints): https to globally
routable addresses only, unless configured for local use.

An address passes only if `ipaddress` calls it global and it is no multicast, reserved or
site-local address; an IPv6 address that carries an IPv4 one (IPv4-mapped, IPv4-compatible,
6to4, Teredo, NAT64) passes only if each IPv4 address inside passes too.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import urlsplit

from ..domain.errors import InvalidInput

Resolver = Callable[[str, int], Iterable[str]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d
_DEFAULT_PORTS = {"https": 443, "http": 80}


def resolve(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]


def embedded_ipv4(address: Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if address.version == 4:
        return []
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    low = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        found.append(low)
    return [v4 for v4 in found if v4 is not None]


def is_public(address: Address) -> bool:
    """Globally routable, and so is every IPv4 address it carries."""
    if address.version == 6 and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)  # a connection to it reaches that IPv4 address
    if not address.is_global or address.is_multicast or address.is_reserved:
        return False
    if address.version == 6 and address.is_site_local:
        return False
    return all(is_public(inner) for inner in embedded_ipv4(address))


@dataclass(frozen=True)
class CheckedUrl:
    """A URL that passed the policy, with the addresses its host resolved to when checked:
    connect to these, never to a fresh answer for the name."""
    url: str
    scheme: str
    hostname: str
    port: int
    addresses: tuple[Address, ...]

    @property
    def host_header(self) -> str:
        """The Host header for the name (with the port when it is not the scheme's default)."""
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


@dataclass(frozen=True)
class UrlPolicy:
    """`allow_loopback` (local mode, set explicitly) admits http and loopback hosts, and only
    those: other private addresses stay refused."""
    allow_loopback: bool
    resolver: Resolver = resolve

    def check(self, url: str, field: str = "url") -> CheckedUrl:
        """Refuse URLs that are not https or that reach any address that is not public."""
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise InvalidInput(f"{field} must be an absolute https URL", field, "invalid_url")
        if parts.username or parts.password:
            raise InvalidInput(f"{field} must not carry credentials", field, "invalid_url")
        if parts.scheme != "https" and not self.allow_loopback:
            raise InvalidInput(f"{field} must use https", field, "insecure_url")
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise InvalidInput(f"{field} has an invalid port", field, "invalid_url") from None
        try:
            addresses = tuple(ipaddress.ip_address(a.split("%")[0])
                              for a in self.resolver(parts.hostname, port))
        except (OSError, ValueError):  # ValueError: not an address; UnicodeError: a bad name
            raise InvalidInput(f"{field} host {parts.hostname} does not resolve", field,
                               "unresolvable_url") from None
        if not addresses:
            raise InvalidInput(f"{field} host {parts.hostname} does not resolve", field,
                               "unresolvable_url")
        checked = CheckedUrl(url, parts.scheme, parts.hostname, port, addresses)
        if self.allow_loopback and all(a.is_loopback for a in addresses):
            return checked
        if parts.scheme != "https":
            raise InvalidInput(f"{field} must use https", field, "insecure_url")
        for address in addresses:
            if not is_public(address):
                raise InvalidInput(f"{field} resolves to a non-public address ({address})", field,
                                   "private_url")
        return checked


def check_webhook_url(url: str, *, allow_loopback: bool, resolver: Resolver = resolve) -> str:
    """The URL if the policy admits it; InvalidInput (field `url`) if not."""
    return UrlPolicy(allow_loopback, resolver).check(url).url
