"""Cannlytics' item documents read and written without I/O: every field a string, every spelling
of empty the same, and every value that is not a string refused before anything is written."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.cannlytics.fields import FIELDS, FREE_FORM, MAPPED, empty
from inventory.cannlytics.translate import parse_post, render_item
from inventory.domain.codes import RoomType, Unit
from inventory.domain.errors import InvalidInput
from inventory.http.errors import BadRequest
from inventory.domain.models import InventoryItem

EMPTY = st.sampled_from(["None", "", None, "  None ", " "])
OPTIONAL = [f for f in FIELDS if f not in ("item_id", "name")]


def test_their_27_fields_are_the_mapped_and_the_free_form():
    assert len(FIELDS) == 27 and set(MAPPED) | set(FREE_FORM) == set(FIELDS)
    assert not set(MAPPED) & set(FREE_FORM)


@given(fields=st.dictionaries(st.sampled_from(OPTIONAL), EMPTY))
def test_none_null_and_blank_are_all_empty(fields):
    post = parse_post({"item_id": "endo", "name": "Item", **fields})
    assert (post.quantity, post.unit, post.category, post.location_id, post.room_type) == \
        (None, None, None, None, None)
    assert post.cleared == frozenset(fields)
    assert all(value is None for value in post.free_form.values())


@given(field=st.sampled_from(FIELDS),
       value=st.one_of(st.booleans(), st.lists(st.text(max_size=3), max_size=2),
                       st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2)))
def test_a_value_that_is_not_a_string_is_refused_naming_its_field(field, value):
    with pytest.raises(BadRequest) as refused:
        parse_post({"item_id": "endo", "name": "Item", field: value})
    assert refused.value.code == "not_a_string" and refused.value.fields[0].field == field


@given(name=st.text(min_size=1, max_size=20).filter(lambda n: n not in FIELDS))
def test_a_field_they_do_not_have_is_refused(name):
    with pytest.raises(BadRequest) as refused:
        parse_post({"item_id": "endo", name: "x"})
    assert refused.value.code == "unknown_field"


@pytest.mark.parametrize("spelling, unit", [("Grams", Unit.GRAM), ("g", Unit.GRAM),
                                            ("Each", Unit.EACH), ("Ounces", Unit.OUNCE),
                                            ("lbs", Unit.POUND), ("Milliliters", Unit.MILLILITRE)])
def test_units_read_ours_and_metrcs_names(spelling, unit):
    assert parse_post({"item_id": "x", "units": spelling}).unit is unit


@pytest.mark.parametrize("spelling", ["Sales Floor", "sales_floor", "sales-floor", "SALES FLOOR"])
def test_area_name_reads_a_room_however_it_is_spelt(spelling):
    assert parse_post({"item_id": "x", "area_name": spelling}).room_type is RoomType.SALES_FLOOR


@pytest.mark.parametrize("quantity", ["-1", "lots", "NaN", "Infinity", "1e"])
def test_a_quantity_that_is_not_a_count_is_refused(quantity):
    with pytest.raises(InvalidInput) as refused:
        parse_post({"item_id": "x", "quantity": quantity})
    assert refused.value.code == "invalid_quantity"


def test_a_number_is_read_as_a_quantity_too():
    assert parse_post({"item_id": "x", "quantity": Decimal("2.5")}).quantity == Decimal("2.5")
    assert parse_post({"item_id": "x", "quantity": 3}).quantity == 3


def test_an_item_renders_as_27_strings_empty_as_their_documents_show():
    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    item = InventoryItem(id="itm_1", organization_id="org_1", product_id="endo",
                         product_name="Item", sku="endo", location_id="loc_1",
                         room_type=RoomType.VAULT, unit=Unit.GRAM, quantity=Decimal("3.500"),
                         created_at=now, updated_at=now, version=1)
    rendered = render_item(item)
    assert list(rendered) == list(FIELDS)
    assert all(isinstance(value, str) for value in rendered.values())
    assert {k: rendered[k] for k in MAPPED} == {
        "item_id": "endo", "name": "Item", "quantity": "3.5", "units": "g",
        "category_name": "None", "area_id": "loc_1", "area_name": "vault"}
    assert {k: rendered[k] for k in FREE_FORM} == {k: empty(k) for k in FREE_FORM}
    assert rendered["weight"] == "" and rendered["strain_name"] == "None"
