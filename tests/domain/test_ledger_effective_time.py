"""The ledger's effective-time rules, decided in the domain alone: a change dated before later
entries takes its place, re-derives their running quantities (a count's change with them), and
is refused whole when a later running quantity would go negative."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.domain.codes import ChangeSource, ReasonCode, RoomType
from inventory.domain.errors import BackdatedConflict, InsufficientStock, InvalidInput
from inventory.domain.events import (INVENTORY_HISTORY_CHANGED, INVENTORY_UPDATED,
                                     events_for_change)
from inventory.domain.ledger import (ChangeContext, check_occurred_at,
                                     has_later_entries, place_change, pos_count_instant)
from inventory.domain.models import InventoryItem, LedgerEntry

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=timezone.utc)
CONTEXT = ChangeContext(source=ChangeSource.API)


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


class Ledger:
    """An item and its entries, built by placing changes one after another as a store would."""

    def __init__(self, created_hours_ago: float = 100):
        created = hours_ago(created_hours_ago)
        self.item = InventoryItem(id="itm_1", organization_id="org_1", product_id="p", sku="S",
                                  product_name="Blue Dream", location_id="loc_1",
                                  room_type=RoomType.SALES_FLOOR, quantity=Decimal(0),
                                  created_at=created, updated_at=created, version=1)
        self.entries: list[LedgerEntry] = []
        self.n = 0

    def later_than(self, at: datetime) -> list[LedgerEntry]:
        ordered = sorted(self.entries, key=lambda e: (e.occurred_at, e.item_version))
        return [e for e in ordered if e.occurred_at > at]

    def place(self, at_hours_ago: float, change: int | None = None, counted: int | None = None,
              reason: ReasonCode = ReasonCode.ADJUSTMENT, recorded: datetime = NOW):
        self.n += 1
        occurred = hours_ago(at_hours_ago)
        placed = place_change(
            self.item, quantity_change=None if change is None else Decimal(change),
            counted=None if counted is None else Decimal(counted),
            reason=ReasonCode.AUDIT if counted is not None else reason, notes=None,
            context=CONTEXT, change_id=f"chg_{self.n}", now=recorded, occurred_at=occurred,
            later=self.later_than(occurred))
        rewritten = {e.id: e for e in placed.rederived}
        self.entries = [rewritten.get(e.id, e) for e in self.entries] + [placed.entry]
        self.item = placed.item
        return placed

    def in_effective_order(self) -> list[LedgerEntry]:
        return sorted(self.entries, key=lambda e: (e.occurred_at, e.item_version))


def assert_consistent(ledger: Ledger) -> None:
    running = Decimal(0)
    for entry in ledger.in_effective_order():
        assert entry.quantity_before == running
        assert entry.quantity_after == entry.quantity_before + entry.quantity_change
        running = entry.quantity_after
    assert ledger.item.quantity == running == sum(e.quantity_change for e in ledger.entries)


def test_a_backdated_change_rederives_every_later_entry():
    ledger = Ledger()
    ledger.place(50, 10)
    ledger.place(30, -3, reason=ReasonCode.SALE)
    ledger.place(10, -2, reason=ReasonCode.SALE)
    placed = ledger.place(40, 5, reason=ReasonCode.RETURN)
    assert placed.entry.quantity_before == 10 and placed.entry.quantity_after == 15
    assert [e.id for e in placed.rederived] == ["chg_2", "chg_3"]
    assert [(e.quantity_before, e.quantity_after) for e in placed.rederived] == [(15, 12), (12, 10)]
    assert ledger.item.quantity == 10
    assert_consistent(ledger)


def test_each_entry_a_late_change_rederives_is_stamped_with_its_recorded_at_and_id():
    ledger = Ledger()
    ledger.place(50, 10, recorded=hours_ago(50))
    ledger.place(30, -3, reason=ReasonCode.SALE, recorded=hours_ago(30))
    ledger.place(10, counted=4, recorded=hours_ago(10))
    ledger.place(5, -1, reason=ReasonCode.SALE, recorded=hours_ago(5))
    placed = ledger.place(40, 2, reason=ReasonCode.RETURN, recorded=hours_ago(1))
    # The sale is re-derived, and the count's change; the count holds what it found, so the
    # sale after it is untouched and unstamped, as is the opening before the late change.
    assert [e.id for e in placed.rederived] == ["chg_2", "chg_3"]
    assert {(e.revised_at, e.revised_by) for e in placed.rederived} == {(hours_ago(1), "chg_5")}
    untouched = [e for e in ledger.entries if e.id in ("chg_1", "chg_4", "chg_5")]
    assert [(e.revised_at, e.revised_by) for e in untouched] == [(None, None)] * 3
    assert_consistent(ledger)


def test_a_change_at_the_same_instant_as_an_entry_goes_after_it_in_recording_order():
    ledger = Ledger()
    ledger.place(50, 10)
    ledger.place(20, 4)
    placed = ledger.place(20, -1, reason=ReasonCode.DAMAGE)
    assert placed.entry.quantity_before == 14 and placed.rederived == ()
    assert_consistent(ledger)


def test_a_backdated_count_sets_the_quantity_then_and_later_changes_apply_on_top():
    ledger = Ledger()
    ledger.place(50, 10)
    ledger.place(10, -4, reason=ReasonCode.SALE)
    placed = ledger.place(30, counted=7)
    assert placed.entry.quantity_change == -3 and placed.entry.counted_quantity == 7
    assert ledger.item.quantity == 3
    assert_consistent(ledger)


def test_a_later_count_has_its_change_rederived_and_holds_the_quantity_it_found():
    ledger = Ledger()
    ledger.place(50, 10)
    ledger.place(20, counted=8)  # a change of -2
    ledger.place(10, -1, reason=ReasonCode.SALE)
    placed = ledger.place(40, -5, reason=ReasonCode.DAMAGE)  # before the count
    count = next(e for e in placed.rederived if e.id == "chg_2")
    assert (count.quantity_before, count.quantity_change, count.quantity_after) == (5, 3, 8)
    # the entry after the count runs from what was counted: untouched
    assert [e.id for e in placed.rederived] == ["chg_2"]
    assert ledger.item.quantity == 7
    assert_consistent(ledger)


def test_a_backdated_change_that_would_leave_a_later_entry_negative_names_the_first_one():
    ledger = Ledger()
    ledger.place(50, 10)
    ledger.place(30, -6, reason=ReasonCode.SALE)
    ledger.place(20, -4, reason=ReasonCode.SALE)
    before = (ledger.item, list(ledger.entries))
    with pytest.raises(BackdatedConflict) as refused:
        ledger.place(40, -5, reason=ReasonCode.DAMAGE)
    assert refused.value.code == "backdated_conflict"
    assert refused.value.entry_id == "chg_2"  # 10 - 5 = 5 then, and 5 - 6 = -1 after chg_2
    assert "chg_2" in refused.value.message
    assert (ledger.item, ledger.entries) == before


def test_the_conflict_names_the_first_entry_in_effective_order_not_in_recording_order():
    ledger = Ledger()
    ledger.place(50, 10)
    ledger.place(10, -2, reason=ReasonCode.SALE)       # chg_2, later in time
    ledger.place(30, -7, reason=ReasonCode.SALE)       # chg_3, earlier in time, recorded later
    with pytest.raises(BackdatedConflict) as refused:
        ledger.place(40, -2, reason=ReasonCode.DAMAGE)  # 8 then, 1 after chg_3, -1 after chg_2
    assert refused.value.entry_id == "chg_2"
    with pytest.raises(BackdatedConflict) as refused:
        ledger.place(40, -4, reason=ReasonCode.DAMAGE)  # 6 then, -1 after chg_3
    assert refused.value.entry_id == "chg_3"


def test_a_backdated_change_negative_at_its_own_instant_is_insufficient_stock():
    ledger = Ledger()
    ledger.place(50, 2)
    ledger.place(10, 20)
    with pytest.raises(InsufficientStock) as refused:
        ledger.place(30, -3, reason=ReasonCode.DAMAGE)
    assert refused.value.code == "negative_stock"


@pytest.mark.parametrize("occurred, code", [
    (NOW + timedelta(microseconds=1), "occurred_at_in_future"),
    (NOW - timedelta(days=35, microseconds=1), "occurred_at_outside_window"),
])
def test_occurred_at_in_the_future_or_beyond_the_window_is_refused_naming_the_field(occurred, code):
    with pytest.raises(InvalidInput) as refused:
        check_occurred_at(occurred, NOW, 35, "updates[2].occurred_at")
    assert refused.value.code == code
    assert [f.field for f in refused.value.fields] == ["updates[2].occurred_at"]


def test_the_window_edges_are_accepted_and_the_window_is_the_organizations():
    assert check_occurred_at(NOW, NOW, 35) == NOW
    assert check_occurred_at(NOW - timedelta(days=35), NOW, 35)
    with pytest.raises(InvalidInput):
        check_occurred_at(NOW - timedelta(days=2), NOW, 1)


def test_no_history_is_read_for_a_change_at_or_after_the_items_last_update():
    ledger = Ledger()
    ledger.place(50, 10, recorded=hours_ago(5))
    assert not has_later_entries(ledger.item, hours_ago(5))
    assert has_later_entries(ledger.item, hours_ago(6))


def test_a_backdated_change_tells_subscribers_from_which_instant_history_changed():
    ledger = Ledger()
    ledger.place(50, 10)
    placed = ledger.place(40, 1, reason=ReasonCode.RETURN)
    ids = iter(f"evt_{n}" for n in range(10))
    events = events_for_change(None, placed.item, placed.entry, lambda _: next(ids), NOW)
    updated = next(e for e in events if e.type == INVENTORY_UPDATED)
    changed = next(e for e in events if e.type == INVENTORY_HISTORY_CHANGED)
    assert updated.data["occurred_at"] == "2026-05-18T20:00:00.000000Z"
    assert updated.data["change"]["recorded_at"] == "2026-05-20T12:00:00.000000Z"
    assert changed.data["item_id"] == "itm_1"
    assert changed.data["changed_from"] == "2026-05-18T20:00:00.000000Z"


def test_a_change_happening_now_announces_no_history_change():
    ledger = Ledger()
    placed = ledger.place(0, 3)
    events = events_for_change(None, placed.item, placed.entry, lambda p: p, NOW)
    assert [e.type for e in events] == [INVENTORY_UPDATED]


WINDOW_DAYS = 35
# How long before now a POS row says its count happened, in microseconds (negative: after now).
DAY_US = 86_400_000_000
row_ages = st.integers(min_value=-DAY_US, max_value=100 * DAY_US)


@given(age=row_ages, agrees=st.booleans(), created_days_ago=st.integers(0, 60))
def test_a_pos_count_older_than_the_window_is_refused_unless_it_agrees(age, agrees, created_days_ago):
    item = Ledger(created_hours_ago=created_days_ago * 24).item
    updated_at = NOW - timedelta(microseconds=age)
    window_start = NOW - timedelta(days=WINDOW_DAYS)
    if updated_at < window_start and not agrees:
        with pytest.raises(InvalidInput) as refused:
            pos_count_instant(item, updated_at, NOW, lambda: WINDOW_DAYS, agrees)
        assert (refused.value.code, refused.value.fields[0].field) == (
            "occurred_at_outside_window", "updated_at")
        return
    placed = pos_count_instant(item, updated_at, NOW, lambda: WINDOW_DAYS, agrees)
    if updated_at < window_start or updated_at >= NOW or updated_at < item.created_at:
        assert placed is None  # counted now: it agrees, or the POS's clock ran ahead or first
    else:
        assert placed == updated_at
