"""One ledger entry by its id alone, whichever item holds it (the Square dialect's
GET /v2/inventory/adjustments/{id}): found in its organization, not in another."""
from __future__ import annotations

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
