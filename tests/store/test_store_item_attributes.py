"""An item's attributes come back from every store as they were saved: strings, booleans and
numbers exact to the digit (never a float), in and out of transactions, in lists and snapshots."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from inventory.domain.freeform_attributes import MAX_ATTRIBUTE_KEY
from inventory.domain.codes import RoomType
from inventory.service.ports import ItemFilter

from .builders import LOCATION, ORG, at, create_items, entry, item, write

_numbers = st.builds(lambda digits, exponent: Decimal(digits).scaleb(exponent),
                     st.integers(-10**30, 10**30), st.integers(-40, 40))
_values = st.text(max_size=40) | st.booleans() | _numbers
_attributes = st.dictionaries(st.text(min_size=1, max_size=MAX_ATTRIBUTE_KEY).filter(
    lambda k: not any(ord(c) < 0x20 or ord(c) == 0x7f for c in k)), _values, max_size=8)


def _same(found: dict, expected: dict) -> None:
    assert found == expected
    for key, value in expected.items():  # the type and the digits, not only equality
        assert type(found[key]) is type(value), key
        if isinstance(value, Decimal):
            assert found[key].as_tuple() == value.as_tuple(), key


def test_attributes_round_trip_exactly_everywhere_an_item_is_read(store):
    attributes = {"strain": "Blue Dream", "thc": Decimal("21.50"), "tested": True, "lot": "7",
                  "count": Decimal(3), "tiny": Decimal("1E-30"), "big": Decimal("12345678901234567890.123")}
    saved = item("itm_1", quantity=2, attributes=attributes)
    create_items(store, [saved, item("itm_2")])
    write(store, entries=[entry(saved, "chg_1", version=1, after=2)])
    _same(store.get_item(ORG, "itm_1").attributes, attributes)
    _same(store.transact(lambda tx: tx.get_item(ORG, "itm_1")).attributes, attributes)
    _same(store.transact(lambda tx: tx.get_items(ORG, ["itm_1"]))["itm_1"].attributes, attributes)
    listed = store.list_items(ORG, ItemFilter(), 1, 10).items
    _same(listed[0].attributes, attributes)
    assert listed[1].attributes == {}
    page = store.snapshot(ORG, LOCATION, at(60), None, None, None, 10)
    _same(page.lines[0].item.attributes, attributes)


def test_saving_an_item_again_replaces_its_attributes(store):
    create_items(store, [item("itm_1", attributes={"a": "1", "b": True})])

    def edit(tx):
        found = tx.get_item(ORG, "itm_1")
        tx.save_item(found.model_copy(update={"attributes": {"b": False}, "version": 2}))

    store.transact(edit)
    _same(store.get_item(ORG, "itm_1").attributes, {"b": False})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attributes=_attributes)
def test_any_attributes_come_back_as_saved(store, attributes):
    def work(tx):
        tx.find_active_item(ORG, LOCATION, RoomType.SALES_FLOOR, "HYP")
        found = tx.get_item(ORG, "itm_h")
        new = item("itm_h", sku="HYP", attributes=attributes)
        tx.save_item(new if found is None else found.model_copy(
            update={"attributes": attributes, "version": found.version + 1}))
    store.transact(work)
    _same(store.get_item(ORG, "itm_h").attributes, attributes)
