"""Where the service may send requests: the URL policy admits only globally routable addresses,
also when an IPv6 address carries an IPv4 one, and every request goes to the address that was
checked, never to a second DNS answer (rebinding). Names resolve through an injected resolver (or
a patched `socket.getaddrinfo`), so no test reaches a non-loopback address."""
from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import trustme
from hypothesis import example, given, settings, strategies as st

from inventory.adapters.checked_http import checked_session
from inventory.adapters.webhook_sender import HttpWebhookSender
from inventory.domain.errors import InvalidInput
from inventory.service.url_policy import UrlPolicy, check_webhook_url, embedded_ipv4

# IANA's special-purpose IPv4 blocks that are not globally reachable (RFC 6890 and successors).
SPECIAL_V4 = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/29", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "240.0.0.0/4")]


def inside(network: ipaddress.IPv4Network):
    return st.integers(int(network.network_address), int(network.broadcast_address)).map(
        ipaddress.IPv4Address)


NON_GLOBAL_V4 = st.one_of(st.sampled_from(SPECIAL_V4).flatmap(inside),
                          st.ip_addresses(v=4).filter(lambda a: not a.is_global),
                          st.ip_addresses(v=4, network="224.0.0.0/4"))  # multicast
GLOBAL_V4 = st.ip_addresses(v=4).filter(lambda a: a.is_global and not a.is_multicast)
WORD = st.integers(0, 0xFFFF)


def mapped(v4, _):
    return ipaddress.IPv6Address(0xFFFF << 32 | int(v4))


def compatible(v4, _):
    return ipaddress.IPv6Address(int(v4))


def six_to_four(v4, noise):
    return ipaddress.IPv6Address(0x2002 << 112 | int(v4) << 80 | noise)


def nat64(v4, _):
    return ipaddress.IPv6Address(0x64FF9B << 96 | int(v4))


def teredo_client(v4, noise):
    server = ipaddress.IPv4Address("65.54.227.120")  # a public Teredo server
    return ipaddress.IPv6Address(0x20010000 << 96 | int(server) << 64 | (noise & 0xFFFF) << 48
                                 | (noise >> 16 & 0xFFFF) << 32 | (~int(v4) & 0xFFFFFFFF))


def teredo_server(v4, noise):
    return ipaddress.IPv6Address(0x20010000 << 96 | int(v4) << 64 | (noise & 0xFFFFFFFF))


def bare(v4, _):
    return v4


FORMS = [bare, mapped, compatible, six_to_four, nat64, teredo_client, teredo_server]


def answering(*addresses):
    return lambda host, port: [str(a) for a in addresses]


@settings(max_examples=300, deadline=None)
@given(v4=NON_GLOBAL_V4, form=st.sampled_from(FORMS), noise=st.integers(0, 2**64 - 1),
       public_too=st.booleans())
@example(v4=ipaddress.IPv4Address("0.0.0.0"), form=compatible, noise=0, public_too=True)
@example(v4=ipaddress.IPv4Address("0.0.0.1"), form=compatible, noise=0, public_too=False)
def test_a_non_global_ipv4_address_is_refused_bare_and_inside_every_ipv6_form(v4, form, noise, public_too):
    address = form(v4, noise)
    # the form really carries it; `::` and `::1` (0.0.0.0 and 0.0.0.1 in the compatible form) are
    # the unspecified and loopback addresses themselves, refused as such below
    assert form is bare or int(address) <= 1 or v4 in embedded_ipv4(address)
    answers = [ipaddress.ip_address("93.184.215.14"), address] if public_too else [address]
    with pytest.raises(InvalidInput) as refused:
        check_webhook_url("https://hooks.example.com/x", allow_loopback=False, resolver=answering(*answers))
    assert refused.value.code == "private_url" and refused.value.fields[0].field == "url"
    if address.is_loopback:
        return
    with pytest.raises(InvalidInput):  # local mode admits loopback hosts, and only those
        check_webhook_url("https://hooks.example.com/x", allow_loopback=True,
                          resolver=answering(*answers, ipaddress.ip_address("127.0.0.1")))


@settings(max_examples=200, deadline=None)
@given(v4=GLOBAL_V4, form=st.sampled_from([bare, mapped, six_to_four]), noise=st.integers(0, 2**64 - 1))
def test_a_globally_routable_address_is_admitted(v4, form, noise):
    url = "https://hooks.example.com/x"
    assert check_webhook_url(url, allow_loopback=False, resolver=answering(form(v4, noise))) == url


@pytest.mark.parametrize("address", ["100.64.0.1", "2002:7f00:1::", "2002:a9fe:a9fe::1",
                                     "64:ff9b::a9fe:a9fe", "::ffff:169.254.169.254", "::7f00:1",
                                     "fec0::1", "224.0.1.1"])
def test_the_addresses_the_deny_list_let_through_are_refused(address):
    with pytest.raises(InvalidInput) as refused:
        check_webhook_url("https://hooks.example.com/x", allow_loopback=False, resolver=answering(address))
    assert refused.value.code == "private_url"


class Server:
    """An HTTP(S) server on one loopback address that records what reaches it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        self.names: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append({"method": self.command, "path": self.path,
                                        "host": self.headers.get("Host"), "body": body})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda sock, name, context: self.names.append(name)
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def rebinding(monkeypatch):
    """The system resolver as a rebinding attacker runs it: `rebind.test` answers 127.0.0.2 the
    first time it is asked and 127.0.0.1 after that; other names resolve as usual."""
    real = socket.getaddrinfo
    asked = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        asked.append(host)
        address = "127.0.0.2" if len(asked) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_webhook_goes_to_the_checked_address_not_to_a_second_dns_answer(rebinding):
    checked = Server("127.0.0.2")
    try:
        victim = Server("127.0.0.1", checked.port)  # the loopback service the attacker aims at
    except OSError:
        checked.stop()
        pytest.skip("the port is taken on 127.0.0.1")
    try:
        sent = HttpWebhookSender(allow_loopback=True).post(
            f"http://rebind.test:{checked.port}/hook", {"webhook-id": "msg_1"}, '{"type": "x"}',
            timeout_s=5)
        assert sent.status == 200, sent.error
        assert victim.requests == []
        [got] = checked.requests
        assert got["host"] == f"rebind.test:{checked.port}" and got["body"] == b'{"type": "x"}'
        assert len(rebinding) == 1  # resolved once, for the check; connected to that answer
    finally:
        victim.stop()
        checked.stop()


def test_the_next_checked_address_is_tried_when_one_refuses_the_connection():
    server = Server("127.0.0.1")
    try:
        sender = HttpWebhookSender(allow_loopback=True, resolver=answering("127.0.0.3", "127.0.0.1"))
        sent = sender.post(f"http://receiver.test:{server.port}/hook", {}, "{}", timeout_s=5)
        assert sent.status == 200 and len(server.requests) == 1
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_server():
    """HTTPS on 127.0.0.1 with a certificate for pos.example.test from a test CA."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("pos.example.test").configure_cert(context)
    server = Server("127.0.0.1", tls=context)
    with authority.cert_pem.tempfile() as ca_file:
        yield server, ca_file
    server.stop()


def test_tls_to_the_checked_address_keeps_the_name_for_sni_the_certificate_and_host(tls_server):
    server, ca_file = tls_server
    session = checked_session(UrlPolicy(allow_loopback=True, resolver=answering("127.0.0.1")))
    response = session.get(f"https://pos.example.test:{server.port}/inventory", verify=ca_file, timeout=5)
    assert response.status_code == 200
    assert server.names[-1] == "pos.example.test"
    assert server.requests[-1]["host"] == f"pos.example.test:{server.port}"
    with pytest.raises(requests.exceptions.SSLError):  # the certificate is checked against the name
        session.get(f"https://other.example.test:{server.port}/inventory", verify=ca_file, timeout=5)


def test_a_refused_address_is_never_connected_to():
    server = Server("127.0.0.1")
    try:
        strict = checked_session(UrlPolicy(allow_loopback=False, resolver=answering("127.0.0.1")))
        with pytest.raises(InvalidInput) as refused:
            strict.get(f"https://receiver.test:{server.port}/", timeout=5)
        assert refused.value.code == "private_url"
        assert server.requests == [] and server.names == []
    finally:
        server.stop()
