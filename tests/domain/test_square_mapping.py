"""The Square mapping as pure translation: every state pair either maps to one reason code and
back, or is refused naming its field; quantities stay exact decimal strings."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from inventory.domain.codes import ChangeSource, ReasonCode, RoomType
from inventory.domain.errors import InvalidInput
from inventory.domain.models import InventoryItem, LedgerEntry
from inventory.square.errors import square_errors
from inventory.square.mapping import (STATE_REASONS, square_change, square_counts, square_transfer,
                                      to_native)
from inventory.square.requests import Change

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
STATES = ["IN_STOCK", "SOLD", "WASTE", "RETURNED_BY_CUSTOMER", "NONE", "RESERVED_FOR_SALE",
          "IN_TRANSIT_TO", "UNLINKED_RETURN", "CUSTOM"]
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99999"), places=3)


def adjustment(from_state, to_state, quantity="1", occurred_at=NOW, **extra) -> Change:
    return Change.model_validate({"type": "ADJUSTMENT", "adjustment": {
        "from_state": from_state, "to_state": to_state, "location_id": "loc_1",
        "catalog_object_id": "prod_1", "quantity": quantity,
        "occurred_at": occurred_at.isoformat(), **extra}})


def entry_for(reason: ReasonCode, change: Decimal, after: Decimal) -> LedgerEntry:
    return LedgerEntry(id="chg_1", organization_id="org", item_id="itm", location_id="loc_1",
                       quantity_change=change, quantity_before=after - change, quantity_after=after,
                       reason_code=reason, source=ChangeSource.API, item_version=2, occurred_at=NOW)


ITEM = InventoryItem(id="itm", organization_id="org", product_id="prod_1", product_name="P",
                     sku="P", location_id="loc_1", room_type=RoomType.SALES_FLOOR,
                     quantity=Decimal(10), created_at=NOW, updated_at=NOW, version=2)


@given(st.sampled_from(STATES), st.sampled_from(STATES), quantities)
def test_every_state_pair_maps_both_ways_or_is_refused_on_to_state(from_state, to_state, quantity):
    change = adjustment(from_state, to_state, str(quantity))
    if (from_state, to_state) not in STATE_REASONS:
        with pytest.raises(InvalidInput) as refused:
            to_native(change, 3)
        assert refused.value.fields[0].field == "changes[3].adjustment.to_state"
        assert refused.value.code == "INVALID_VALUE"
        return
    native = to_native(change, 0)
    assert abs(native.quantity_change) == quantity
    shown = square_change(entry_for(native.reason, native.quantity_change, Decimal(50)), ITEM)
    assert (shown["adjustment"]["from_state"], shown["adjustment"]["to_state"]) == (from_state, to_state)
    assert Decimal(shown["adjustment"]["quantity"]) == quantity


@given(quantities)
def test_a_physical_count_is_an_audit_shown_as_the_counted_quantity(quantity):
    change = Change.model_validate({"type": "PHYSICAL_COUNT", "physical_count": {
        "catalog_object_id": "prod_1", "state": "IN_STOCK", "location_id": "loc_1",
        "quantity": str(quantity), "occurred_at": NOW.isoformat()}})
    native = to_native(change, 0)
    assert (native.reason, native.counted) == (ReasonCode.AUDIT, quantity)
    shown = square_change(entry_for(ReasonCode.AUDIT, Decimal(1), quantity), ITEM)
    assert shown["type"] == "PHYSICAL_COUNT"
    assert Decimal(shown["physical_count"]["quantity"]) == quantity
    assert "E" not in shown["physical_count"]["quantity"]


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-7)),
                                               timezone(timedelta(hours=5, minutes=30))])))
def test_occurred_at_is_taken_as_sent_for_the_ledger_to_place(when):
    """The dialect keeps no window of its own: the ledger checks the organization's."""
    native = to_native(adjustment("IN_STOCK", "SOLD", occurred_at=when), 0)
    assert native.occurred_at == when


@given(st.sampled_from(["0", "-1", "abc", "NaN", "Infinity", "1e", ""]))
def test_an_adjustment_quantity_that_is_not_a_positive_decimal_is_refused(text):
    if text == "":
        return  # refused earlier, by the request model's min_length
    with pytest.raises(InvalidInput) as refused:
        to_native(adjustment("IN_STOCK", "SOLD", text), 0)
    assert refused.value.fields[0].field == "changes[0].adjustment.quantity"


def test_theft_shows_as_waste_and_reserved_stock_as_its_own_count():
    shown = square_change(entry_for(ReasonCode.THEFT, Decimal(-2), Decimal(8)), ITEM)
    assert (shown["adjustment"]["from_state"], shown["adjustment"]["to_state"]) == ("IN_STOCK", "WASTE")
    reserved = ITEM.model_copy(update={"reserved_quantity": Decimal("2.5")})
    assert [(c["state"], c["quantity"]) for c in square_counts(reserved)] == [
        ("IN_STOCK", "10"), ("RESERVED_FOR_SALE", "2.5")]


def test_refusals_use_statuses_squares_sdk_does_not_retry():
    from inventory.domain import errors as e
    from inventory.http import errors as http
    for kind in (http.BadRequest, e.Unauthenticated, e.Forbidden, e.NotFound, e.Conflict,
                 e.InsufficientStock, e.VersionMismatch, e.InvalidInput, e.IdempotencyConflict,
                 e.IdempotencyKeyRequired, http.PayloadTooLarge, http.UnsupportedMediaType):
        status, body = square_errors(kind("refused", "field"))
        assert status not in (408, 409, 429) and status < 500, kind
        assert set(body["errors"][0]) == {"category", "code", "detail", "field"}


def transfer(**extra) -> Change:
    return Change.model_validate({"type": "TRANSFER", "transfer": {
        "catalog_object_id": "prod_1", "state": "IN_STOCK", "from_location_id": "loc_1",
        "to_location_id": "loc_2", "quantity": "2.5", "occurred_at": NOW.isoformat(), **extra}})


@given(quantities)
def test_a_transfer_moves_its_quantity_from_one_location_to_the_other(quantity):
    native = to_native(transfer(quantity=str(quantity)), 4)
    assert (native.kind, native.reason, native.quantity_change) == ("transfer", ReasonCode.TRANSFER, quantity)
    assert (native.location_id, native.to_location_id, native.occurred_at) == ("loc_1", "loc_2", NOW)
    out = entry_for(ReasonCode.TRANSFER, -quantity, Decimal(50)).model_copy(
        update={"transfer_id": "trf_1", "recorded_at": NOW + timedelta(hours=1)})
    into = out.model_copy(update={"id": "chg_2", "location_id": "loc_2", "quantity_change": quantity})
    shown = square_transfer(out, into, "prod_1")["transfer"]
    assert (shown["id"], shown["from_location_id"], shown["to_location_id"], shown["state"]) == (
        "trf_1", "loc_1", "loc_2", "IN_STOCK")
    assert Decimal(shown["quantity"]) == quantity
    assert (shown["occurred_at"], shown["created_at"]) == ("2026-11-30T12:00:00.000000Z",
                                                           "2026-11-30T13:00:00.000000Z")


@given(st.sampled_from(["SOLD", "NONE", "IN_TRANSIT", "WASTE"]))
def test_a_transfer_of_another_state_than_in_stock_is_refused_on_its_state(state):
    with pytest.raises(InvalidInput) as refused:
        to_native(transfer(state=state), 1)
    assert (refused.value.code, refused.value.fields[0].field) == ("INVALID_VALUE", "changes[1].transfer.state")


@given(st.one_of(st.none(), st.text(min_size=1, max_size=20)),
       st.one_of(st.none(), st.text(min_size=1, max_size=20)))
def test_employee_id_is_the_team_member_and_two_different_people_are_refused(employee, member):
    change = adjustment("IN_STOCK", "SOLD", employee_id=employee, team_member_id=member,
                        reference_id="order-1", source={"product": "EXTERNAL_API", "name": "Till"})
    if employee and member and employee != member:
        with pytest.raises(InvalidInput) as refused:
            to_native(change, 0)
        assert refused.value.fields[0].field == "changes[0].adjustment.employee_id"
        return
    client = to_native(change, 0).client
    assert (client.reference_id, client.team_member_id) == ("order-1", member or employee)
    assert client.source_application == {"product": "EXTERNAL_API", "name": "Till"}
    kept = entry_for(ReasonCode.SALE, Decimal(-1), Decimal(9)).model_copy(update={
        "reference_id": client.reference_id, "team_member_id": client.team_member_id,
        "source_application": client.source_application})
    shown = square_change(kept, ITEM)["adjustment"]
    assert shown["reference_id"] == "order-1"
    assert shown.get("team_member_id") == shown.get("employee_id") == (member or employee)
    assert shown["source"] == {"product": "EXTERNAL_API", "name": "Till"}


def test_the_changes_event_carries_the_clients_references_only_where_it_sent_them():
    from inventory.domain.events import events_for_change
    plain = entry_for(ReasonCode.SALE, Decimal(-1), Decimal(9))
    labelled = plain.model_copy(update={"reference_id": "order-1", "team_member_id": "TM1",
                                        "source_application": {"name": "Till"}})
    ids = iter(f"evt_{n}" for n in range(10))
    [plain_event] = events_for_change(ITEM, ITEM, plain, lambda _: next(ids), NOW)
    [labelled_event] = events_for_change(ITEM, ITEM, labelled, lambda _: next(ids), NOW)
    assert not {"reference_id", "team_member_id", "source_application"} & set(plain_event.data["change"])
    assert {k: labelled_event.data["change"][k] for k in ("reference_id", "team_member_id",
                                                          "source_application")} == {
        "reference_id": "order-1", "team_member_id": "TM1", "source_application": {"name": "Till"}}
