"""Dated stock rows (the Datawiz dialect's collection): the latest row per (location, product,
date) replaces the one before, rows are listed by date, location, product, per organization."""
from __future__ import annotations

from inventory.service.ports import StockRow

from .builders import ORG, OTHER_ORG


def _row(location_id: str, product_id: str, date: str, qty: str = "2.0000",
         price: str | None = "46.6700", organization_id: str = ORG) -> StockRow:
    return StockRow(organization_id=organization_id, location_id=location_id,
                    product_id=product_id, date=date, qty=qty, original_price=price,
                    recorded_at="2026-11-30T12:00:00.000000Z")


def test_stock_rows_are_listed_by_date_location_product_and_a_row_replaces_its_key(store):
    store.transact(lambda tx: [tx.save_stock_row(r) for r in (
        _row("loc_b", "p1", "2026-11-30"), _row("loc_a", "p2", "2026-11-30"),
        _row("loc_a", "p1", "2026-11-29", price=None), _row("loc_a", "p1", "2026-11-30"),
        _row("loc_a", "p1", "2026-11-30", organization_id=OTHER_ORG))])
    store.transact(lambda tx: tx.save_stock_row(_row("loc_a", "p2", "2026-11-30", qty="7.5000")))
    assert [(r.date, r.location_id, r.product_id, r.qty) for r in store.list_stock_rows(ORG)] == [
        ("2026-11-29", "loc_a", "p1", "2.0000"), ("2026-11-30", "loc_a", "p1", "2.0000"),
        ("2026-11-30", "loc_a", "p2", "7.5000"), ("2026-11-30", "loc_b", "p1", "2.0000")]
    assert store.list_stock_rows(ORG)[0] == _row("loc_a", "p1", "2026-11-29", price=None)
    assert store.list_stock_rows("org_nobody") == []



def test_stock_rows_are_read_by_key_in_a_transaction_and_alone_per_organization(store):
    mine, theirs = _row("loc_a", "p_1", "2026-11-29"), _row("loc_a", "p_1", "2026-11-29", qty="9.0000",
                                                             organization_id=OTHER_ORG)
    store.transact(lambda tx: [tx.save_stock_row(r) for r in (mine, theirs)])
    wanted = [("loc_a", "p_1", "2026-11-29"), ("loc_a", "p_1", "2026-11-30"), ("loc_b", "p_1", "2026-11-29")]
    assert store.transact(lambda tx: tx.get_stock_rows(ORG, wanted)) == {mine.key: mine}
    assert store.transact(lambda tx: tx.get_stock_rows(OTHER_ORG, wanted)) == {theirs.key: theirs}
    assert store.transact(lambda tx: tx.get_stock_rows(ORG, [])) == {}
    assert store.get_stock_row(ORG, "loc_a", "p_1", "2026-11-29") == mine
    assert store.get_stock_row(OTHER_ORG, "loc_a", "p_1", "2026-11-29") == theirs
    assert store.get_stock_row(ORG, "loc_a", "p_1", "2026-11-30") is None
    assert store.get_stock_row("org_nobody", "loc_a", "p_1", "2026-11-29") is None
