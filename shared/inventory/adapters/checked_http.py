"""HTTP that goes only where the URL policy allows.

Each request's URL is checked when it is sent, and the connection is made to an address that
check resolved, while the host name is kept for the Host header, TLS SNI and certificate
verification. A DNS answer that changes between the check and the connection (rebinding) cannot
send the request anywhere else. Never through a proxy: a proxy would connect by name.
"""
from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from ..service.url_policy import UrlPolicy


class CheckedAddressAdapter(HTTPAdapter):
    """A requests transport that checks every URL and connects to the checked address."""

    def __init__(self, policy: UrlPolicy, field: str = "url", connections: int = 10):
        self._policy = policy
        self._field = field
        super().__init__(pool_connections=connections, pool_maxsize=connections)

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        checked = self._policy.check(request.url, self._field)  # InvalidInput if refused
        pinned = request.copy()
        pinned.headers["Host"] = checked.host_header
        *others, last = checked.addresses
        for address in others:
            try:
                return self._send_to(pinned, checked, address, stream, timeout, verify, cert)
            except requests.ConnectionError as error:
                # Like a client given a name: the next address, if nothing was sent to this one.
                if not isinstance(getattr(error.args[0], "reason", None), NewConnectionError):
                    raise
        return self._send_to(pinned, checked, last, stream, timeout, verify, cert)

    def _send_to(self, request, checked, address, stream, timeout, verify, cert):
        request.connect_to = (checked, address)  # read by get_connection_with_tls_context
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert,
                            proxies={})

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        checked, address = request.connect_to
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        host_params["host"] = str(address)
        if checked.scheme == "https":
            pool_kwargs["server_hostname"] = checked.hostname
            pool_kwargs["assert_hostname"] = checked.hostname
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)


def checked_session(policy: UrlPolicy, field: str = "url", connections: int = 10) -> requests.Session:
    """A session whose every request passes `policy` (a refusal raises InvalidInput naming `field`)."""
    session = requests.Session()
    session.trust_env = False  # no proxy, CA bundle or .netrc credentials from the environment
    adapter = CheckedAddressAdapter(policy, field, connections)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
