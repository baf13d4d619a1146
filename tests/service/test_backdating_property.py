"""Late arrivals keep history exact, on both stores.

Hypothesis writes random histories through the use cases on a clock it moves by hand: changes
happening now, and changes and counts that arrive late, dated at random instants since the items
were created (often exactly at an existing entry's instant). After every step it checks, for every
item, that each entry in effective order starts where the one before it ended and ends at its
start plus its change, that the item holds its last entry's quantity and the sum of its changes,
and that a refused change wrote nothing; at the end, that the snapshot at every instant that
matters equals replaying the ledger in effective order up to it, names the entry that sets each
quantity, and says when the history it reports was last revised after its instant.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from inventory.domain.codes import ReasonCode, RoomType, Scope
from inventory.domain.commands import BulkUpdate, CreateItem, CreateLocation, UpdateItem
from inventory.domain.errors import DomainError
from inventory.service import items, locations
from inventory.service.admin import create_organization
from inventory.service.auth import Actor
from inventory.service.unit_of_work import WITHOUT_KEY
from manual_clock import ManualClock

START = datetime(2026, 4, 1, 8, 0, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)
REASONS = [ReasonCode.SALE, ReasonCode.SALE, ReasonCode.DAMAGE, ReasonCode.RETURN, ReasonCode.ADJUSTMENT]

amounts = st.integers(min_value=1, max_value=6).map(Decimal)
# When a late change happened: a fraction of the time since the items were created, or exactly
# the instant of a change already recorded (a tie, ordered by recording).
dates = st.one_of(st.tuples(st.just("fraction"), st.integers(min_value=0, max_value=1000)),
                  st.tuples(st.just("tie"), st.integers(min_value=0, max_value=100)))
operations = st.one_of(
    st.tuples(st.just("now"), st.integers(0, 1), st.sampled_from(REASONS), amounts, st.booleans()),
    st.tuples(st.just("late"), st.integers(0, 1), st.sampled_from(REASONS), amounts, st.booleans(), dates),
    st.tuples(st.just("late_count"), st.integers(0, 1), st.integers(0, 12).map(Decimal), dates),
    st.tuples(st.just("late_bulk"), st.integers(0, 1), amounts, dates, dates),
)
steps = st.sampled_from([timedelta(0), MICROSECOND, timedelta(minutes=5), timedelta(hours=9)])


class History:
    def __init__(self, services):
        self.services = services
        self.clock = ManualClock(START)
        services.clock = self.clock
        organization = create_organization(services, "Backdating")
        self.actor = Actor(organization.id, "key_backdating", frozenset(Scope))
        self.location = self._run(locations.create_location, CreateLocation(
            name="Shop", time_zone="America/Denver")).result.location.id
        self.item_ids = [self._run(items.create_item, CreateItem(
            product_id="p", product_name="Product", sku=f"SKU-{n}", location_id=self.location,
            room_type=RoomType.SALES_FLOOR, quantity=Decimal(8))).result.item.id
            for n in range(2)]
        self.state = self.read()

    def _run(self, use_case, *arguments):
        return use_case(self.services, self.actor, *arguments, WITHOUT_KEY)

    def ledger(self, item_id: str) -> list:
        """The item's whole ledger in effective order, read through the changes feed."""
        entries, cursor = [], None
        while True:
            page = self.services.store.list_changes(self.actor.organization_id, item_id, cursor, 7)
            entries.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return entries[::-1]

    def read(self) -> dict:
        """Every item and its ledger as the store holds them now: read once after each step,
        and what the next step is checked against (the store changes only through the steps)."""
        return {i: (items.get_item(self.services, self.actor, i), self.ledger(i)) for i in self.item_ids}

    def when(self, date: tuple) -> datetime:
        kind, number = date
        if kind == "tie":
            instants = sorted({e.occurred_at for _, ledger in self.state.values() for e in ledger})
            return instants[number % len(instants)]
        return START + (self.clock.now() - START) * number // 1000

    def apply(self, operation: tuple) -> None:
        kind, ref, *rest = operation
        item_id = self.item_ids[ref]
        before, refused = self.state, False
        try:
            if kind in ("now", "late"):
                reason, amount, up = rest[:3]
                sign = {ReasonCode.SALE: -1, ReasonCode.DAMAGE: -1, ReasonCode.RETURN: 1}.get(
                    reason, 1 if up else -1)
                self._run(items.update_item, item_id, UpdateItem(
                    quantity_change=sign * amount, reason_code=reason,
                    occurred_at=self.when(rest[3]) if kind == "late" else None), None)
            elif kind == "late_count":
                counted, date = rest
                self._run(items.update_item, item_id,
                          UpdateItem(quantity=counted, occurred_at=self.when(date)), None)
            else:  # two late lines for the same item in one bulk update
                amount, first, second = rest
                self._run(items.bulk_update, BulkUpdate(updates=[
                    {"id": item_id, "reason_code": "DAMAGE", "quantity_change": -amount,
                     "occurred_at": self.when(first)},
                    {"id": item_id, "reason_code": "RETURN", "quantity_change": amount * 2,
                     "occurred_at": self.when(second)}]))
        except DomainError as refusal:
            event(f"refused: {refusal.code}")
            assert refusal.code in ("backdated_conflict", "negative_stock",
                                    "insufficient_available", "bulk_update_refused"), refusal.code
            refused = True
        self.state = self.read()
        if refused:
            assert self.state == before, "a refused change wrote something"

    def check_invariant(self) -> None:
        for item, entries in self.state.values():
            running = Decimal(0)
            by_id = {entry.id: entry for entry in entries}
            for entry in entries:
                assert entry.quantity_before == running, entry
                assert entry.quantity_after == entry.quantity_before + entry.quantity_change, entry
                assert entry.occurred_at <= entry.recorded_at
                if entry.revised_at is not None:  # by a late change to this item, dated before it
                    reviser = by_id[entry.revised_by]
                    assert reviser.recorded_at == entry.revised_at >= entry.recorded_at, entry
                    assert reviser.occurred_at <= entry.occurred_at, entry
                running = entry.quantity_after
            assert item.quantity == running == sum((e.quantity_change for e in entries), Decimal(0))

    def check_snapshots(self) -> None:
        ledgers = {i: ledger for i, (_, ledger) in self.state.items()}
        instants = sorted({e.occurred_at for entries in ledgers.values() for e in entries})
        for at in sorted({moment + offset for moment in instants
                          for offset in (-MICROSECOND, timedelta(0))}):
            page = self.services.store.snapshot(self.actor.organization_id, self.location, at,
                                                None, None, None, 10)
            shown = {line.item.id: line.quantity for line in page.lines}
            setting = {line.item.id: line.entry and line.entry.id for line in page.lines}
            replayed, last, written = {}, {}, []
            for item_id, entries in ledgers.items():
                if self.state[item_id][0].created_at <= at:
                    then = [e for e in entries if e.occurred_at <= at]  # in effective order
                    replayed[item_id] = sum((e.quantity_change for e in then), Decimal(0))
                    last[item_id] = then[-1].id if then else None
                    written += [max(then[-1].recorded_at, then[-1].revised_at or then[-1].recorded_at)] if then else []
            assert shown == replayed, at
            # Each line names the entry that sets its quantity; the snapshot says when the
            # latest of them was written after its instant (a late arrival or a re-derivation).
            assert setting == last, at
            assert page.totals.revised_at == max((w for w in written if w > at), default=None), at


@settings(max_examples=14, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=st.lists(st.tuples(operations, steps), min_size=4, max_size=12))
def test_late_arrivals_keep_every_entry_every_item_and_every_snapshot_exact(services, history):
    written = History(services)
    for operation, step in history:
        written.clock.advance(microseconds=step / MICROSECOND)
        written.apply(operation)
        written.check_invariant()
    written.check_snapshots()
