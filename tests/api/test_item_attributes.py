"""Items' free-form attributes over HTTP: set on create, merged by PATCH (a null removes a key),
returned wherever items are, exact numbers, bounded, refused with the key named and nothing
written, and never in the ledger."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import events_of
from inventory.domain.freeform_attributes import (MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTE_STRING, MAX_ATTRIBUTES,
                                         MAX_ATTRIBUTES_BYTES)

CANNABINOIDS = {"strain_name": "Blue Dream", "total_thc": Decimal("21.50"), "lab_tested": True,
                "batch": "3", "moisture": Decimal("1E-3"), "serving_count": Decimal(10)}


def _exactly(found: dict, expected: dict) -> None:
    """The same keys and values, numbers to the digit (the client reads `10` as an int)."""
    assert found == expected
    for key, value in expected.items():
        if isinstance(value, Decimal):
            assert isinstance(found[key], (int, Decimal)) and not isinstance(found[key], bool), key
            assert Decimal(found[key]).as_tuple() == value.as_tuple(), key  # 21.50 stays 21.50
        else:
            assert type(found[key]) is type(value), key


def test_attributes_set_on_create_come_back_exact_from_get_list_and_the_webhook_data(api, location):
    created = api.item(location["id"], attributes={**CANNABINOIDS, "dropped": None})
    _exactly(created["attributes"], CANNABINOIDS)
    response = api.get(f"/api/v1/inventory/{created['id']}")
    _exactly(response.json["data"]["attributes"], CANNABINOIDS)
    assert '"total_thc":21.50' in response.text and '"moisture":0.001' in response.text
    [listed] = api.get("/api/v1/inventory").json["data"]
    _exactly(listed["attributes"], CANNABINOIDS)
    [created_event] = [e for e in events_of(api) if e["type"] == "inventory.updated"]
    _exactly(created_event["data"]["item"]["attributes"], CANNABINOIDS)
    assert api.item(location["id"], sku="PLAIN")["attributes"] == {}


def test_patch_merges_attributes_bumps_the_version_and_writes_no_ledger_entry(api, location):
    created = api.item(location["id"], attributes={"a": "1", "b": True, "c": Decimal("2.0")})
    before_events = len(events_of(api))
    response = api.patch(f"/api/v1/inventory/{created['id']}",
                         {"attributes": {"b": None, "c": Decimal("2.50"), "d": "new", "gone": None}})
    assert response.status == 200, response
    item = response.json["data"]
    _exactly(item["attributes"], {"a": "1", "c": Decimal("2.50"), "d": "new"})
    assert item["version"] == created["version"] + 1 and item["quantity"] == created["quantity"]
    assert "change" not in response.json
    assert len(api.changes(created["id"])) == 1  # the opening quantity only
    _exactly(api.get(f"/api/v1/inventory/{created['id']}").json["data"]["attributes"], item["attributes"])
    [updated] = events_of(api)[before_events:]
    assert updated["type"] == "inventory.updated" and updated["data"]["change"] is None
    _exactly(updated["data"]["item"]["attributes"], item["attributes"])


def test_patch_with_a_quantity_change_and_attributes_does_both_in_one_version(api, location):
    created = api.item(location["id"], quantity=5, attributes={"a": "1"})
    response = api.patch(f"/api/v1/inventory/{created['id']}",
                         {"quantity_change": -2, "reason_code": "SALE", "attributes": {"b": "2"}})
    assert response.status == 200, response
    assert response.json["data"]["attributes"] == {"a": "1", "b": "2"}
    assert response.json["data"]["version"] == created["version"] + 1
    assert response.json["change"]["quantity_change"] == -2


def test_patch_with_attributes_null_removes_every_attribute(api, location):
    created = api.item(location["id"], attributes={"a": "1", "b": Decimal(2)})
    response = api.patch(f"/api/v1/inventory/{created['id']}", {"attributes": None})
    assert response.status == 200, response
    assert response.json["data"]["attributes"] == {}


def test_snapshot_lines_carry_the_items_attributes(api, location):
    created = api.item(location["id"], attributes=CANNABINOIDS)
    response = api.get("/api/v1/inventory/snapshot", query={"location_id": location["id"],
                                                            "date": _today_in_denver()})
    assert response.status == 200, response
    [line] = response.json["data"]["items"]
    assert line["id"] == created["id"]
    _exactly(line["attributes"], CANNABINOIDS)


def _today_in_denver() -> str:
    return datetime.now(ZoneInfo("America/Denver")).date().isoformat()


_REFUSED = [
    ({"k": [1]}, "attributes.k", "invalid_attribute_value"),
    ({"k": {"nested": 1}}, "attributes.k", "invalid_attribute_value"),
    ({"k": "x" * (MAX_ATTRIBUTE_STRING + 1)}, "attributes.k", "attribute_too_long"),
    ({"k" * (MAX_ATTRIBUTE_KEY + 1): "x"}, "attributes." + "k" * (MAX_ATTRIBUTE_KEY + 1),
     "invalid_attribute_key"),
    ({"": "x"}, "attributes", "invalid_attribute_key"),
    ({"tab\there": "x"}, "attributes.tab\there", "invalid_attribute_key"),
    ({"k": Decimal("1E+5000")}, "attributes.k", "invalid_attribute_value"),
    ({"k": Decimal("1." + "1" * 60)}, "attributes.k", "invalid_attribute_value"),
    ({f"k{n}": n for n in range(MAX_ATTRIBUTES + 1)}, "attributes", "too_many_attributes"),
    ({f"k{n}": "x" * 900 for n in range(20)}, "attributes", "attributes_too_large"),
]


@pytest.mark.parametrize("attributes, field, code", _REFUSED)
def test_attributes_beyond_the_rules_are_refused_on_create_and_write_nothing(api, location,
                                                                            attributes, field, code):
    response = api.post("/api/v1/inventory", {
        "product_id": "p", "product_name": "n", "sku": "S", "room_type": "sales_floor",
        "location_id": location["id"], "attributes": attributes})
    assert response.status == 422, response
    assert [(f["field"], f["code"]) for f in response.error["fields"]] == [(field, code)]
    assert api.get("/api/v1/inventory").json["data"] == []


@pytest.mark.parametrize("attributes, field, code",
                         [case for case in _REFUSED if case[2] != "too_many_attributes"])
def test_attributes_beyond_the_rules_are_refused_on_patch_and_write_nothing(api, location,
                                                                           attributes, field, code):
    created = api.item(location["id"], attributes={"kept": "yes"})
    response = api.patch(f"/api/v1/inventory/{created['id']}", {"attributes": attributes})
    assert response.status == 422, response
    assert [(f["field"], f["code"]) for f in response.error["fields"]] == [(field, code)]
    assert api.get(f"/api/v1/inventory/{created['id']}").json["data"] == created


def test_a_patch_that_would_leave_too_many_attributes_is_refused_and_writes_nothing(api, location):
    full = {f"k{n}": Decimal(n) for n in range(MAX_ATTRIBUTES)}
    created = api.item(location["id"], attributes=full)
    response = api.patch(f"/api/v1/inventory/{created['id']}", {"attributes": {"one_more": True}})
    assert response.status == 422, response
    assert [(f["field"], f["code"]) for f in response.error["fields"]] == [
        ("attributes", "too_many_attributes")]
    assert api.get(f"/api/v1/inventory/{created['id']}").json["data"] == created
    # Removing one makes room for another in the same patch.
    swapped = api.patch(f"/api/v1/inventory/{created['id']}",
                        {"attributes": {"k0": None, "one_more": True}})
    assert swapped.status == 200, swapped
    assert len(swapped.json["data"]["attributes"]) == MAX_ATTRIBUTES
    grown = {key: "x" * 320 for key in swapped.json["data"]["attributes"]}
    too_large = api.patch(f"/api/v1/inventory/{created['id']}", {"attributes": grown})
    assert too_large.status == 422 and too_large.error["fields"][0]["code"] == "attributes_too_large"
    assert too_large.error["fields"][0]["field"] == "attributes"


_NOT_SCALAR = st.lists(st.integers(), max_size=3) | st.dictionaries(st.text(max_size=3),
                                                                      st.integers(), max_size=2)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.text(min_size=1, max_size=MAX_ATTRIBUTE_KEY).filter(str.isprintable),
       value=_NOT_SCALAR | st.text(min_size=MAX_ATTRIBUTE_STRING + 1, max_size=MAX_ATTRIBUTE_STRING + 50))
def test_any_value_that_is_not_a_bounded_scalar_is_refused_naming_its_key(api, item, key, value):
    response = api.patch(f"/api/v1/inventory/{item['id']}", {"attributes": {"ok": "1", key: value}})
    assert response.status == 422, response
    assert response.field_names() == [f"attributes.{key}"]
    assert api.get(f"/api/v1/inventory/{item['id']}").json["data"] == item


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(patch=st.dictionaries(st.sampled_from("abcdef"),
                             st.none() | st.booleans() | st.text(max_size=5)
                             | st.integers(-10**6, 10**6).map(Decimal), max_size=6))
def test_patches_merge_as_a_json_merge_patch(api, item, patch):
    before = api.get(f"/api/v1/inventory/{item['id']}").json["data"]
    response = api.patch(f"/api/v1/inventory/{item['id']}", {"attributes": patch})
    assert response.status == 200, response
    expected = {**before["attributes"], **patch}
    expected = {key: value for key, value in expected.items() if value is not None}
    _exactly(response.json["data"]["attributes"], expected)
    assert response.json["data"]["version"] == before["version"] + 1
    assert response.json["data"]["quantity"] == before["quantity"]
