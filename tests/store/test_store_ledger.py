"""An item's ledger in effective order on every store: by occurred_at, then recording order
(item_version); the entries after an instant (what a backdated change reads) and the rewrite of
their re-derived quantities (all it may change)."""
from __future__ import annotations

from decimal import Decimal

from .builders import ORG, OTHER_ORG, at, cursor_pages, create_items, entry, item, write

# Recorded in version order 1..6, happened out of that order; chg_3 and chg_5 share an instant.
HAPPENED = {"chg_1": at(0), "chg_2": at(50), "chg_3": at(20), "chg_4": at(10), "chg_5": at(20),
            "chg_6": at(40)}
EFFECTIVE = ["chg_1", "chg_4", "chg_3", "chg_5", "chg_6", "chg_2"]


def ledger(store):
    made, other = item("itm_1", sku="A"), item("itm_2", sku="B")
    create_items(store, [made, other])
    write(store, entries=[entry(made, change_id, version=int(change_id[-1]), after=1, occurred_at=when)
                          for change_id, when in HAPPENED.items()]
          + [entry(other, "chg_x", version=1, after=1, occurred_at=at(30))])
    return made


def test_changes_are_listed_by_effective_time_then_recording_order_latest_first(store):
    ledger(store)
    pages = cursor_pages(lambda cursor: store.list_changes(ORG, "itm_1", cursor, 4))
    assert pages == [EFFECTIVE[::-1][:4], EFFECTIVE[::-1][4:]]
    assert store.list_changes(OTHER_ORG, "itm_1", None, 10).items == []


def test_ledger_after_reads_only_the_items_entries_after_the_instant_in_effective_order(store):
    ledger(store)
    after = store.transact(lambda tx: [e.id for e in tx.ledger_after(ORG, "itm_1", at(20))])
    assert after == ["chg_6", "chg_2"]  # strictly after: the two at at(20) are not
    before_all = store.transact(lambda tx: [e.id for e in tx.ledger_after(ORG, "itm_1", at(-1))])
    assert before_all == EFFECTIVE
    assert store.transact(lambda tx: list(tx.ledger_after(ORG, "itm_1", at(50)))) == []
    assert store.transact(lambda tx: list(tx.ledger_after(OTHER_ORG, "itm_1", at(-1)))) == []


def test_rewrite_ledger_changes_the_quantities_and_nothing_else(store):
    made = ledger(store)
    original = store.transact(lambda tx: tx.ledger_after(ORG, "itm_1", at(30)))
    rederived = [e.model_copy(update={"quantity_before": Decimal("7.5"), "quantity_change": Decimal(-2),
                                      "quantity_after": Decimal("5.5")}) for e in original]
    store.transact(lambda tx: tx.rewrite_ledger(rederived))
    assert store.transact(lambda tx: list(tx.ledger_after(ORG, "itm_1", at(30)))) == rederived
    untouched = store.transact(lambda tx: tx.ledger_after(ORG, "itm_1", at(-1)))
    assert untouched[0] == entry(made, "chg_1", version=1, after=1, occurred_at=at(0))
