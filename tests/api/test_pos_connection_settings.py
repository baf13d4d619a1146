"""POS connection settings the connectors cannot use are refused with 422, a code and the field,
and nothing is saved: never a 500."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
REGION = re.compile(r"(?![0-9]+\Z)(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def put(api, location_id, body):
    return api.request("PUT", f"/api/v1/locations/{location_id}/pos-connection", body)


def saved(api, location_id):
    """The location's connection as GET shows it (None before one is set)."""
    response = api.get(f"/api/v1/locations/{location_id}/pos-connection")
    return response.json.get("data") if response.status == 200 else response.status


def with_a_control_character(text: str, control: str, at: int) -> str:
    at %= len(text) + 1
    return text[:at] + control + text[at:]


@FUZZ
@given(path=st.builds(with_a_control_character, st.text(max_size=40),
                      st.sampled_from([chr(c) for c in [*range(0x20), 0x7f]]), st.integers(0, 40)))
@example(path="pos\x00.csv")
def test_a_file_path_with_a_control_character_is_refused_with_its_field(api, location, path):
    before = saved(api, location["id"])
    response = put(api, location["id"], {"kind": "file", "settings": {"path": path}})
    assert response.status == 422, response
    assert [(f["field"], f["code"]) for f in response.error["fields"]] == [("settings.path", "invalid_path")]
    assert saved(api, location["id"]) == before


@FUZZ
@given(path=st.text(min_size=1, max_size=60))
def test_any_file_path_is_accepted_or_refused_with_its_field_never_a_500(api, location, path):
    response = put(api, location["id"], {"kind": "file", "settings": {"path": path}})
    if CONTROL.search(path):
        assert response.status == 422 and response.field_names() == ["settings.path"], response
    else:
        assert response.status in (200, 422), response
        if response.status == 422:
            assert [(f["field"], f["code"]) for f in response.error["fields"]] == [
                ("settings.path", "path_outside_root")]


@FUZZ
@given(region=st.text(min_size=1, max_size=70))
@example(region="bad region!")
@example(region="us-east-1\n")
@example(region="12345")
@example(region="-west")
def test_an_s3_region_that_is_no_region_name_is_refused_with_its_field(api, location, region):
    before = saved(api, location["id"])
    response = put(api, location["id"], {"kind": "s3", "secret": "key:secret",
                                         "settings": {"bucket": "pos-exports", "region": region}})
    if REGION.fullmatch(region):
        assert response.status == 200, response
        assert response.json["data"]["settings"]["region"] == region
    else:
        assert response.status == 422, response
        assert [(f["field"], f["code"]) for f in response.error["fields"]] == [
            ("settings.region", "invalid_region")]
        assert saved(api, location["id"]) == before


@pytest.mark.parametrize("kind, name, url, code", [
    ("http", "base_url", "http://10.0.0.7/pos", "insecure_url"),
    ("http", "base_url", "https://10.0.0.7/pos", "private_url"),
    ("http", "base_url", "https://[2002:a9fe:a9fe::1]/pos", "private_url"),
    ("s3", "endpoint_url", "https://100.64.0.1", "private_url"),
    ("s3", "endpoint_url", "https://[::ffff:127.0.0.1]", "private_url"),
    ("s3", "endpoint_url", "ftp://example.com", "invalid_url"),
])
def test_a_pos_url_the_policy_refuses_names_its_setting(api, location, kind, name, url, code):
    settings = {name: url, **({"bucket": "pos-exports"} if kind == "s3" else {})}
    response = put(api, location["id"], {"kind": kind, "secret": "key:secret", "settings": settings})
    assert response.status == 422, response
    assert [(f["field"], f["code"]) for f in response.error["fields"]] == [(f"settings.{name}", code)]
    assert saved(api, location["id"]) == 404
