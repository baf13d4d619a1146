"""One ledger entry by its id alone, whichever item holds it (the Square dialect's
GET /v2/inventory/adjustments/{id}), and a transfer's two entries by the transfer's id
(GET /v2/inventory/transfers/{id}): found in their organization, not in another; an entry keeps
the client's own names for its change."""
from __future__ import annotations

from decimal import Decimal

from .builders import ORG, OTHER_ORG, create_items, entry, item, write


def test_a_ledger_entry_is_found_by_id_across_items_and_only_in_its_organization(store):
    first, second = item("itm_1", quantity=3), item("itm_2", quantity=5)
    foreign = item("itm_3", organization_id=OTHER_ORG, quantity=1)
    entries = [entry(first, "chg_1", version=1, after=3), entry(second, "chg_2", version=1, after=5),
               entry(foreign, "chg_3", version=1, after=1)]
    create_items(store, [first, second, foreign])
    write(store, entries=entries)

    assert store.get_ledger_entry(ORG, "chg_2") == entries[1]
    assert store.get_ledger_entry(ORG, "chg_1") == entries[0]
    assert store.get_ledger_entry(ORG, "chg_3") is None
    assert store.get_ledger_entry(OTHER_ORG, "chg_3") == entries[2]
    assert store.get_ledger_entry(ORG, "chg_missing") is None


def test_a_transfers_entries_are_found_by_its_id_out_leg_first_and_only_in_its_organization(store):
    source, destination = item("itm_1", quantity=6), item("itm_2", quantity=4)
    foreign = item("itm_3", organization_id=OTHER_ORG, quantity=1)
    moved_in = entry(destination, "chg_a", version=1, after=4).model_copy(
        update={"transfer_id": "trf_1", "quantity_change": Decimal(4)})
    moved_out = entry(source, "chg_b", version=2, after=6).model_copy(
        update={"transfer_id": "trf_1", "quantity_change": Decimal(-4)})
    other = entry(foreign, "chg_c", version=1, after=1).model_copy(update={"transfer_id": "trf_2"})
    plain = entry(source, "chg_d", version=1, after=10)
    create_items(store, [source, destination, foreign])
    write(store, entries=[moved_in, moved_out, other, plain])

    assert store.transfer_entries(ORG, "trf_1") == [moved_out, moved_in]
    assert store.transfer_entries(ORG, "trf_2") == []
    assert store.transfer_entries(OTHER_ORG, "trf_2") == [other]
    assert store.transfer_entries(ORG, "trf_missing") == []


def test_an_entry_keeps_the_clients_reference_team_member_and_source(store):
    held = item("itm_1", quantity=3)
    labelled = entry(held, "chg_1", version=1, after=3).model_copy(update={
        "reference_id": "order-1", "team_member_id": "TM1",
        "source_application": {"product": "EXTERNAL_API", "name": "Register"}})
    create_items(store, [held])
    write(store, entries=[labelled])
    assert store.get_ledger_entry(ORG, "chg_1") == labelled
    assert store.list_changes(ORG, "itm_1", None, 10).items == [labelled]
