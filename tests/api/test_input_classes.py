"""Classes of input that once crashed a request or answered wrongly, each tested as a class with
hypothesis around the parser: any JSON number in any quantity or money field, JSON nested to
any depth, any instant of the calendar with any offset, any cursor, any time zone name. Each
gets a 2xx or a 4xx in the error envelope naming the field — never a 500 — and a refusal writes
nothing. Instants have one fixed-width text form, so text order is time order."""
from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import available_timezones

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import events_of
from inventory.domain.time import format_instant, parse_instant
from inventory.local.loopback import free_port, listening

# Fewer examples on the Firestore emulator, where each request is a few round trips.
EXAMPLES = {"sqlite": 150, "firestore": 25}
LIMITS = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def is_envelope(response) -> bool:
    body = response.json or {}
    error = body.get("error") or {}
    return (response.headers.get("Content-Type", "").startswith("application/json")
            and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)
            and isinstance(error.get("request_id"), str))


def assert_answered(response, field: str | None = None) -> None:
    """2xx, or a 4xx in the envelope (naming `field` when it is a validation refusal)."""
    assert response.status < 500, response
    if response.status >= 400:
        assert is_envelope(response), response
        if field is not None and response.status == 422 and response.error["code"] == "validation_failed":
            assert field in response.field_names(), response


# -- numbers ---------------------------------------------------------------------------------

@st.composite
def json_numbers(draw) -> str:
    """The text of any JSON number: signs, zeros, long digit runs, huge and tiny exponents."""
    sign = draw(st.sampled_from(["", "-"]))
    digits = st.sampled_from("0123456789")
    whole = draw(st.one_of(
        st.just("0"),
        st.builds(lambda first, rest: first + rest, st.sampled_from("123456789"),
                  st.text(digits, max_size=30)),
        st.builds(lambda first, n: first * n, st.sampled_from("19"), st.integers(4000, 6000))))
    fraction = draw(st.one_of(st.just(""), st.text(digits, min_size=1, max_size=40).map(lambda s: "." + s),
                              st.integers(1, 5000).map(lambda n: "." + "0" * n + "1")))
    exponent = draw(st.one_of(
        st.just(""),
        st.builds(lambda e, s, n: e + s + n, st.sampled_from("eE"), st.sampled_from(["", "+", "-"]),
                  st.one_of(st.integers(0, 40).map(str), st.integers(0, 10**30).map(str),
                            st.integers(18, 5000).map(lambda n: "9" * n)))))
    return sign + whole + fraction + exponent


EDGE_NUMBERS = ["1e999999999999", "1E+999999999999999999999", "-1E+999999999999999999999",
                "1e-999999999999", "1E-999999999999999999999", "0e999999999999999999999",
                "-0", "-0.0", "0.0e-5", "1" * 5000, "9" * 4300, "1e" + "9" * 5000,
                "999999999.999", "1000000000", "99999999.9999", "100000000", "1.0001", "1.00000"]

ITEM_FIELDS = ["quantity", "reserved_quantity", "low_stock_threshold", "unit_cost", "unit_price"]
PATCH_FIELDS = ["quantity_change", "quantity", "unit_cost", "unit_price", "low_stock_threshold",
                "reserved_quantity"]


def state_of(api, item_id: str):
    """What a refused request must leave unchanged: the item, its ledger, the events, the items."""
    return (api.get(f"/api/v1/inventory/{item_id}").json["data"], api.changes(item_id),
            len(events_of(api)), api.get("/api/v1/inventory").json["pagination"]["total"])


def number_body(template: str, number: str) -> bytes:
    return template.replace("NUMBER", number).encode()


def test_any_json_number_in_any_numeric_field_is_answered_and_a_refusal_writes_nothing(
        api, backend, location):
    item = api.item(location["id"], sku="N", unit="g", quantity=Decimal("500"),
                    unit_cost=Decimal("2"))
    requests_by_field = (
        [("PATCH", f"/api/v1/inventory/{item['id']}", field,
          '{"%s": NUMBER%s}' % (field, ', "reason_code": "ADJUSTMENT"' if field == "quantity_change" else ""))
         for field in PATCH_FIELDS]
        + [("POST", "/api/v1/inventory", field,
            '{"product_id": "p", "product_name": "n", "sku": "SKU", "unit": "g", "room_type": "vault",'
            ' "location_id": "%s", "%s": NUMBER}' % (location["id"], field)) for field in ITEM_FIELDS]
        + [("POST", "/api/v1/inventory/bulk-update", f"updates[0].{field}",
            '{"updates": [{"id": "%s", "%s": NUMBER%s}]}'
            % (item["id"], field, ', "reason_code": "ADJUSTMENT"' if field == "quantity_change" else ""))
           for field in ("quantity_change", "quantity")]
        + [("POST", "/api/v1/inventory/transfers", "quantity",
            '{"from_item_id": "%s", "to_room_type": "sales_floor", "quantity": NUMBER}' % item["id"])]
        # Numbers in the query: the lists' page and limit.
        + [("GET", path, field, None) for path, field in [
            ("/api/v1/inventory", "limit"), ("/api/v1/inventory", "page"), ("/api/v1/events", "limit"),
            (f"/api/v1/inventory/{item['id']}/changes", "limit"), ("/api/v1/inventory/snapshot", "limit")]])
    snapshot_query = {"location_id": location["id"], "date": "2026-01-01"}

    @settings(max_examples=EXAMPLES[backend], **LIMITS)
    @given(number=st.one_of(st.sampled_from(EDGE_NUMBERS), json_numbers()),
           target=st.sampled_from(requests_by_field))
    def check(number, target):
        method, path, field, template = target
        before = state_of(api, item["id"])
        if template is None:
            response = api.get(path, query={**(snapshot_query if "snapshot" in path else {}), field: number})
        else:
            body = number_body(template.replace("SKU", f"S{uuid.uuid4().hex[:8]}"), number)
            response = api.request(method, path, raw=body)
        assert_answered(response, field)
        if response.status >= 400:
            assert state_of(api, item["id"]) == before, (number, response)
        if _out_of_every_range(number):
            assert response.status == 422 and field in response.field_names(), (number, response)

    check()


_WIDE = Context(prec=20_000, Emax=MAX_EMAX, Emin=MIN_EMIN)  # room for every number json_numbers draws


def _out_of_every_range(text: str) -> bool:
    """A number no quantity or money field takes: a billion or more, or more than 4 places."""
    mantissa, _, exponent = text.lower().partition("e")
    value = Decimal(mantissa)
    if value.is_zero():
        return False
    if exponent and len(exponent.lstrip("+-")) > 6:
        return True  # 10 to the power of a million or more, or its inverse
    value = value.scaleb(int(exponent or 0), context=_WIDE)
    return value.copy_abs() >= 10**9 or value.normalize(_WIDE).as_tuple().exponent < -4


# -- nesting ---------------------------------------------------------------------------------

BODY_ROUTES = [("PATCH", "/api/v1/inventory/{item}"), ("POST", "/api/v1/inventory"),
               ("POST", "/api/v1/inventory/bulk-update"), ("POST", "/api/v1/inventory/transfers"),
               ("POST", "/api/v1/locations"), ("POST", "/api/v1/webhooks"),
               ("POST", "/api/v1/inventory/sync"),
               ("PUT", "/api/v1/locations/{location}/pos-connection")]


@st.composite
def nested(draw) -> bytes:
    """A JSON document nested `depth` deep in arrays and objects, as a value or the whole body."""
    depth = draw(st.one_of(st.integers(1, 80), st.integers(80, 3000), st.sampled_from([2000, 100_000])))
    kinds = draw(st.lists(st.booleans(), min_size=1, max_size=8))
    opening = b"".join(b"[" if kinds[i % len(kinds)] else b'{"a":' for i in range(depth))
    closing = b"".join(b"]" if kinds[i % len(kinds)] else b"}" for i in reversed(range(depth)))
    document = opening + b'"x]}"' + closing  # a string holding brackets does not count
    return b'{"notes": ' + document + b"}" if draw(st.booleans()) else document


def test_json_nested_to_any_depth_is_refused_in_the_envelope_and_writes_nothing(api, backend, item):
    @settings(max_examples=EXAMPLES[backend], **LIMITS)
    @given(body=nested(), route=st.sampled_from(BODY_ROUTES))
    @example(body=b"[" * 2000 + b"]" * 2000, route=BODY_ROUTES[0])
    @example(body=b'{"a":' * 2000 + b"1" + b"}" * 2000, route=BODY_ROUTES[2])
    def check(body, route):
        method, template = route
        path = template.format(item=item["id"], location=item["location_id"])
        before = state_of(api, item["id"])
        response = api.request(method, path, raw=body)
        assert 400 <= response.status < 500 and is_envelope(response), response
        assert state_of(api, item["id"]) == before

    check()


def test_json_nested_too_deep_is_400_json_too_deep(api, item):
    response = api.patch(f"/api/v1/inventory/{item['id']}",
                         raw=b'{"notes": ' + b"[" * 2000 + b"]" * 2000 + b"}")
    assert response.status == 400, response
    assert response.error["code"] == "json_too_deep" and response.field_names() == ["body"]


def test_json_nested_a_few_levels_is_read_as_usual(api, item):
    response = api.patch(f"/api/v1/inventory/{item['id']}", raw=b'{"notes": [[[["x"]]]]}')
    assert response.status == 422 and response.field_names() == ["notes"], response


# -- instants --------------------------------------------------------------------------------

offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
any_aware = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999),
                         timezones=offsets)
utc_instants = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999),
                            timezones=st.just(timezone.utc))


def in_utc(value: datetime) -> datetime | None:
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        return None


@settings(max_examples=2000, deadline=None)
@given(value=utc_instants, other=utc_instants)
@example(value=datetime(999, 1, 1, tzinfo=timezone.utc), other=datetime(1000, 1, 1, tzinfo=timezone.utc))
@example(value=datetime(1, 1, 1, tzinfo=timezone.utc), other=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc))
def test_every_instant_has_one_fixed_width_text_whose_order_is_time_order(value, other):
    text, other_text = format_instant(value), format_instant(other)
    assert len(text) == len("2026-01-27T23:00:00.000000Z") == len(other_text)
    assert parse_instant(text) == value
    assert (text < other_text) == (value < other) and (text == other_text) == (value == other)


@settings(max_examples=1000, deadline=None)
@given(value=any_aware)
@example(value=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))))
@example(value=datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14))))
def test_any_aware_instant_formats_and_parses_back_or_is_refused_as_out_of_range(value):
    utc = in_utc(value)
    if utc is None:
        with pytest.raises(ValueError):
            format_instant(value)
        with pytest.raises(ValueError):
            parse_instant(value.isoformat())
    else:
        assert parse_instant(format_instant(value)) == value
        assert parse_instant(value.isoformat()) == value


def test_any_instant_in_updated_after_and_at_is_answered_in_text_and_time_order(api, backend, location):
    item = api.item(location["id"], sku="T")
    created = parse_instant(item["created_at"])
    updated = parse_instant(item["updated_at"])

    @settings(max_examples=EXAMPLES[backend], **LIMITS)
    @given(value=any_aware, spelled=st.sampled_from(["iso", "Z", "space"]))
    @example(value=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), spelled="iso")
    @example(value=datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14))), spelled="iso")
    @example(value=datetime(999, 1, 1, tzinfo=timezone.utc), spelled="Z")
    @example(value=datetime(1000, 1, 1, tzinfo=timezone.utc), spelled="Z")
    def check(value, spelled):
        text = value.isoformat()
        if spelled == "Z" and value.utcoffset() == timedelta(0):
            text = text.replace("+00:00", "Z")
        elif spelled == "space":  # an unescaped "+" in a query string arrives as a space
            text = text.replace("+", " ")
        utc = in_utc(value)
        listed = api.get("/api/v1/inventory", query={"updated_after": text})
        snapshot = api.get("/api/v1/inventory/snapshot", query={"at": text, "location_id": location["id"]})
        if utc is None:
            checked = [(snapshot, "at")] + ([] if spelled == "space" else [(listed, "updated_after")])
            for response, field in checked:
                assert response.status == 422, (text, response)
                assert response.error["fields"][0] == {
                    "field": field, "code": "instant_out_of_range",
                    "message": response.error["fields"][0]["message"]}, response
            return
        if spelled != "space":
            assert listed.status == 200, (text, listed)
            assert [i["id"] for i in listed.json["data"]] == ([item["id"]] if updated > utc else []), text
        else:
            assert_answered(listed, "updated_after")
        assert_answered(snapshot, "at")
        if snapshot.status == 200:
            assert snapshot.json["data"]["as_of"] == format_instant(utc)
            assert [i["id"] for i in snapshot.json["data"]["items"]] == (
                [item["id"]] if created <= utc else []), text

    check()


def test_years_before_1000_compare_in_time_order(api, item):
    """Found by hand and by schemathesis: `999-01-01…` sorted after `2026-…` as text."""
    assert api.get("/api/v1/inventory", query={"updated_after": "0999-01-01T00:00:00Z"}).json[
        "pagination"]["total"] == 1
    snapshot = api.get("/api/v1/inventory/snapshot",
                       query={"at": "0999-01-01T00:00:00Z", "location_id": item["location_id"]})
    assert snapshot.status == 200, snapshot
    assert snapshot.json["data"]["as_of"] == "0999-01-01T00:00:00.000000Z"
    assert snapshot.json["data"]["items"] == [] and snapshot.json["data"]["totals"]["items"] == 0


def test_any_calendar_date_in_a_snapshot_is_answered(api, backend, location):
    east = api.location("Kiritimati", "Pacific/Kiritimati")

    @settings(max_examples=EXAMPLES[backend], **LIMITS)
    @given(day=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
           where=st.sampled_from([location["id"], east["id"]]))
    @example(day=date(1, 1, 1), where=east["id"])
    @example(day=date(9999, 12, 31), where=location["id"])
    def check(day, where):
        response = api.get("/api/v1/inventory/snapshot",
                           query={"date": f"{day.year:04d}-{day.month:02d}-{day.day:02d}", "location_id": where})
        assert_answered(response, "date")

    check()


# -- cursors ---------------------------------------------------------------------------------

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


big_numbers = st.one_of(st.integers(2**63 - 2, 2**63 + 2), st.integers(2**64, 10**60),
                        st.integers(-(10**60), 10**60), st.integers(0, 10**180))
cursor_texts = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=140).map(b64),
    st.builds(lambda kind, n: b64(f"{kind}:{n}".encode()),
              st.sampled_from(["seq", "v", "after-id", "x"]), big_numbers),
    st.builds(lambda kind, n: b64(f"{kind}:{n}".encode()), st.sampled_from(["seq", "v"]),
              st.sampled_from(["+5", " 5", "5_0", "\u0665", "\u00b2", "-0", "0x10", "5 "])),
    st.builds(lambda created, n: b64(f"{created}|{n}".encode()), st.text(max_size=40), big_numbers),
    st.builds(lambda content: b64(json.dumps(content).encode()),
              st.dictionaries(st.sampled_from(list("qtanuvc")), st.one_of(
                  big_numbers, st.text(max_size=30), st.floats(allow_nan=True)), max_size=7)),
).filter(lambda text: len(text) <= 200)


@pytest.fixture
def loopback_allowed(monkeypatch):
    """Local mode's explicit setting: loopback receivers accepted (tests never post elsewhere)."""
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")


def test_any_cursor_is_answered_or_refused_as_invalid_cursor(loopback_allowed, api, backend, item):
    api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": 1, "reason_code": "RETURN"})
    subscription = api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"]})
    assert subscription.status == 201, subscription
    listings = [("/api/v1/inventory", "cursor", {}),
                (f"/api/v1/inventory/{item['id']}/changes", "cursor", {}),
                ("/api/v1/events", "after", {}),
                (f"/api/v1/webhooks/{subscription.json['data']['id']}/deliveries", "cursor", {}),
                ("/api/v1/inventory/snapshot", "cursor", {"location_id": item["location_id"],
                                                          "date": "2026-01-01"})]

    @settings(max_examples=EXAMPLES[backend] * 2, **LIMITS)
    @given(cursor=cursor_texts, listing=st.sampled_from(listings))
    @example(cursor=b64(b"seq:" + b"9" * 30), listing=listings[1])
    @example(cursor=b64(b"seq:" + b"9" * 30), listing=listings[2])
    @example(cursor=b64(b"v:" + b"9" * 30), listing=listings[1])
    @example(cursor=b64(b"seq:18446744073709551616"), listing=listings[3])
    def check(cursor, listing):
        path, name, query = listing
        response = api.get(path, query={**query, name: cursor})
        assert_answered(response)
        if response.status >= 400:
            assert response.status == 422 and response.error["fields"][0]["field"] == name, response
            assert response.error["fields"][0]["code"] in ("invalid_cursor", "cursor_mismatch",
                                                           "string_too_long"), response

    check()


@pytest.mark.parametrize("number", [2**63, 2**64, 10**30])
def test_a_cursor_beyond_64_bits_is_invalid_cursor(api, backend, item, number):
    # SQLite pages the ledger by effective time then sequence number and the event feed by
    # sequence number, Firestore the ledger by effective time then item version (its feed cursor
    # is text, with no integer to overflow).
    moment = "2026-01-05T12:00:00.000000Z|"
    changes = f"/api/v1/inventory/{item['id']}/changes"
    listings = ([(changes, "cursor", "at-seq:" + moment), ("/api/v1/events", "after", "seq:")]
                if backend == "sqlite" else [(changes, "cursor", "at-v:" + moment)])
    for path, name, prefix in listings:
        response = api.get(path, query={name: b64(f"{prefix}{number}".encode())})
        assert response.status == 422 and response.error["fields"][0]["code"] == "invalid_cursor", response
        largest = api.get(path, query={name: b64(f"{prefix}{2**63 - 1}".encode())})
        assert largest.status == 200, largest


# -- time zones ------------------------------------------------------------------------------

def test_any_time_zone_name_is_a_zone_or_refused_by_field(api, backend):
    zones = sorted(available_timezones())

    @settings(max_examples=EXAMPLES[backend] * 2, **LIMITS)
    @given(name=st.one_of(
        st.text(max_size=40), st.sampled_from(zones),
        st.sampled_from(["America", "America/", "Etc", "US", "", ".", "..", "/", "America/.",
                         "America//Denver", "America/../UTC", "./UTC", "__pycache__", "tzdata",
                         "America/__init__.py", "zones", "zone1970.tab", "tzdata.zi", "leapseconds",
                         "UTC\x00", "posix", "right", "Factory", "localtime"]),
        st.builds(lambda zone, tail: zone + tail, st.sampled_from(zones),
                  st.sampled_from(["/", "/.", "\x00", " ", "/x"]))))
    @example(name="America")
    def check(name):
        before = api.get("/api/v1/locations").json["data"]
        response = api.post("/api/v1/locations", {"name": "X", "time_zone": name})
        assert_answered(response, "time_zone")
        if response.status == 201:
            assert name in zones, name
        else:
            assert response.status == 422 and response.field_names() == ["time_zone"], (name, response)
            assert api.get("/api/v1/locations").json["data"] == before

    check()


# -- the request log -------------------------------------------------------------------------

CREDENTIAL_NAMES = ["key", "api_key", "apiKey", "API-KEY", "token", "access_token", "id_token",
                    "refresh_token", "password", "passwd", "secret", "client_secret", "signature",
                    "sig", "auth", "authorization", "Authorization", "X-Amz-Signature",
                    "X-Amz-Credential", "X-Amz-Security-Token", "session", "jwt", "bearer",
                    "private_key", "credential"]
PLAIN_NAMES = ["limit", "page", "location_id", "room_type", "category", "low_stock", "cursor", "sku"]


def logged_requests(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()
            if line.startswith("{") and '"httpRequest"' in line]


def test_credential_looking_query_parameters_are_redacted_in_the_request_log(api, backend, capsys):
    @settings(max_examples=EXAMPLES[backend], **LIMITS)
    @given(secret_name=st.sampled_from(CREDENTIAL_NAMES),
           secret=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=6, max_size=40)
           .filter(lambda s: "REDACTED" not in s),
           plain=st.sampled_from(PLAIN_NAMES),
           plain_value=st.text(max_size=20).filter(lambda s: not s.startswith(("sk_", "whsec_"))))
    @example(secret_name="api_key", secret="sk_live_0123456789", plain="limit", plain_value="5")
    def check(secret_name, secret, plain, plain_value):
        capsys.readouterr()
        api.get("/api/v1/inventory", query={plain: plain_value, secret_name: secret})
        url = logged_requests(capsys.readouterr().out)[-1]["httpRequest"]["requestUrl"]
        logged = parse_qsl(urlsplit(url).query, keep_blank_values=True)
        assert logged == [(plain, plain_value), (secret_name, "REDACTED")], url

    check()


def test_an_api_key_sent_in_the_query_never_reaches_the_log(api, capsys):
    capsys.readouterr()
    api.get("/api/v1/inventory", query={"key": api.key, "q": api.key, "limit": "5"})
    out = capsys.readouterr().out
    assert logged_requests(out) and api.key not in out


# -- what the HTTP server refuses before any function runs -----------------------------------

ROOT = Path(__file__).resolve().parents[2]


def exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """One request over a real socket: the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in
               (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def serve(command: list[str], tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = dict(os.environ, INVENTORY_DATA_DIR=str(tmp_path / "data"), INVENTORY_STORE="sqlite")
    process = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def local_server_port(tmp_path_factory):
    yield from serve([sys.executable, "-m", "inventory.local.server", "--no-demo"],
                     tmp_path_factory.mktemp("local"))


@pytest.fixture(scope="module")
def function_port(tmp_path_factory):
    """One function alone under functions-framework (gunicorn), as it runs in the cloud."""
    yield from serve([str(Path(sys.executable).parent / "functions-framework"), "--target=list_inventory",
                      f"--source={ROOT / 'functions/list_inventory/main.py'}", "--host=127.0.0.1"],
                     tmp_path_factory.mktemp("function"))


def get_with(headers: bytes, target: bytes = b"/api/v1/inventory") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"Connection: close\r\n\r\n"


LARGE_HEADER = get_with(b"X-Large: " + b"a" * 70_000 + b"\r\n")
MANY_HEADERS = get_with(b"".join(b"X-H%d: v\r\n" % n for n in range(120)))


@pytest.mark.parametrize("request_bytes, status, code", [
    (LARGE_HEADER, 431, "headers_too_large"),
    (MANY_HEADERS, 431, "headers_too_large"),
    (get_with(b"", b"/api/v1/inventory?" + b"a" * 70_000), 414, "uri_too_long"),
    (b"NOT A REQUEST\r\n\r\n", 400, "bad_request"),
    # gunicorn, as in front of a lone function, refuses a version it cannot read with a 400
    (b"GET /api/v1/inventory HTTP/2.0\r\n\r\n", 400, "bad_request"),
], ids=["large-header", "many-headers", "long-request-line", "garbage", "http-2"])
def test_what_the_local_server_refuses_itself_comes_in_the_envelope(local_server_port, request_bytes,
                                                                    status, code):
    found, headers, body = exchange(local_server_port, request_bytes)
    assert found == status, body[:300]
    assert headers["content-type"] == "application/json" and headers["x-request-id"]
    assert json.loads(body) == {"error": {"code": code, "message": json.loads(body)["error"]["message"],
                                          "request_id": headers["x-request-id"]}}


@pytest.mark.parametrize("request_bytes", [LARGE_HEADER, get_with(b"X-Large: " + b"a" * 9000 + b"\r\n"),
                                           MANY_HEADERS], ids=["70-KB-header", "9-KB-header", "many-headers"])
def test_what_functions_framework_refuses_itself_comes_in_the_envelope(function_port, request_bytes):
    found, headers, body = exchange(function_port, request_bytes)
    assert found == 431, body[:300]
    assert headers["content-type"] == "application/json" and headers["x-request-id"]
    assert json.loads(body)["error"]["code"] == "headers_too_large"


def test_headers_within_the_limits_still_reach_the_function(local_server_port, function_port):
    for port in (local_server_port, function_port):
        found, _, body = exchange(port, get_with(b"X-Large: " + b"a" * 4000 + b"\r\n"))
        assert found == 401 and json.loads(body)["error"]["code"] == "missing_api_key"
