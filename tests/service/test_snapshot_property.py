"""Exactness: a snapshot at any instant equals replaying the ledger up to that instant.

Hypothesis writes random histories through the service layer — creates, changes of every
reason, counts, bulk changes at one instant, transfers between rooms and locations, archives —
on a clock it moves by hand, then compares snapshots at every instant that matters (each
change and a microsecond before it) with a replay of each item's ledger as the changes feed
lists it. A microsecond after a change is no instant of its own: whatever happens then is a
change of its own, so until the next change the snapshot is the one at that change.
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from inventory.domain.codes import ReasonCode, RoomType, Scope
from inventory.domain.commands import (BulkUpdate, CreateItem, CreateLocation, ListChanges,
                                       Transfer, UpdateItem)
from inventory.domain.errors import DomainError
from inventory.domain.snapshot import SnapshotQuery
from inventory.service import items, locations, snapshot, transfers
from inventory.service.admin import create_organization
from inventory.service.auth import Actor
from inventory.service.unit_of_work import WITHOUT_KEY
from manual_clock import ManualClock

START = datetime(2026, 3, 7, 12, 0, tzinfo=timezone.utc)  # the DST weekend in America/Denver
ROOMS = [RoomType.SALES_FLOOR, RoomType.VAULT, RoomType.QUARANTINE]
CATEGORIES = ["flower", "edibles", None]
MICROSECOND = timedelta(microseconds=1)

amounts = st.integers(min_value=1, max_value=40).map(lambda n: Decimal(n) / 4)  # 0.25 g steps
steps = st.sampled_from([timedelta(0), timedelta(0), MICROSECOND, timedelta(seconds=1),
                         timedelta(hours=7)])
item_ref = st.integers(min_value=0, max_value=1000)
creates = st.tuples(st.just("create"), st.sampled_from(ROOMS), st.sampled_from(CATEGORIES),
                    st.integers(min_value=0, max_value=3).map(lambda n: Decimal(n * 5) / 2),
                    st.sampled_from([None, Decimal("2.5"), Decimal("0.1234")]))
by_kind = {
    "create": creates,
    "adjust": st.tuples(st.just("adjust"), item_ref, st.sampled_from(list(ReasonCode)), amounts,
                        st.booleans()),
    "count": st.tuples(st.just("count"), item_ref,
                       st.integers(min_value=0, max_value=20).map(Decimal)),
    "bulk": st.tuples(st.just("bulk"), item_ref, st.lists(
        st.tuples(st.sampled_from([ReasonCode.RETURN, ReasonCode.DAMAGE, ReasonCode.ADJUSTMENT]),
                  amounts), min_size=2, max_size=4)),
    "transfer": st.tuples(st.just("transfer"), item_ref, st.sampled_from(ROOMS), st.booleans(),
                          amounts),
    "archive": st.tuples(st.just("archive"), item_ref),
}
# Mostly changes; creates, transfers, counts, bulk changes and archives now and then.
operations = st.sampled_from(["adjust"] * 4 + ["count", "bulk", "transfer", "transfer", "create",
                                               "archive"]).flatmap(by_kind.__getitem__)


class History:
    """One organization with two locations, written through the use cases on a manual clock."""

    def __init__(self, services):
        self.services = services
        self.clock = ManualClock(START)
        services.clock = self.clock
        organization = create_organization(services, "Property")
        self.actor = Actor(organization.id, "key_property", frozenset(Scope))
        self.locations = [self._run(locations.create_location, CreateLocation(
            name=name, time_zone="America/Denver")).result.location.id for name in ("A", "B")]
        self.item_ids: list[str] = []
        self.archived: set[str] = set()
        self.instants: set[datetime] = set()
        self._skus = itertools.count()

    def _run(self, use_case, *arguments):
        return use_case(self.services, self.actor, *arguments, WITHOUT_KEY)

    def apply(self, operation: tuple) -> None:
        kind, *rest = operation
        try:
            getattr(self, "_" + kind)(*rest)
        except DomainError:
            pass  # a refused change writes nothing, which the comparison checks too
        self.instants.add(self.clock.now())

    def _item(self, ref: int) -> str:
        active = [item_id for item_id in self.item_ids if item_id not in self.archived]
        if not active:
            raise DomainError("no active items")
        return active[ref % len(active)]

    def _on_hand(self, item_id: str, available: bool = False) -> Decimal:
        item = items.get_item(self.services, self.actor, item_id)
        return item.available_quantity if available else item.quantity

    def _create(self, room, category, quantity, unit_cost):
        created = self._run(items.create_item, CreateItem(
            product_id="p", product_name="Product", sku=f"SKU-{next(self._skus)}",
            location_id=self.locations[0], room_type=room, category=category, unit="g",
            quantity=quantity, unit_cost=unit_cost))
        self.item_ids.append(created.result.item.id)

    def _adjust(self, ref, reason, amount, up):
        item_id = self._item(ref)
        if reason is ReasonCode.AUDIT:
            command = UpdateItem(quantity=amount, reason_code=reason)
        else:
            sign = {ReasonCode.SALE: -1, ReasonCode.DAMAGE: -1, ReasonCode.THEFT: -1,
                    ReasonCode.RETURN: 1}.get(reason, 1 if up else -1)
            if sign < 0:  # mostly within stock, so most changes land
                amount = min(amount, self._on_hand(item_id)) or amount
            command = UpdateItem(quantity_change=sign * amount, reason_code=reason)
        self._run(items.update_item, item_id, command, None)

    def _count(self, ref, counted):
        self._run(items.update_item, self._item(ref), UpdateItem(quantity=counted), None)

    def _bulk(self, ref, lines):
        item_id = self._item(ref)
        on_hand, updates = self._on_hand(item_id), []
        for reason, amount in lines:
            change = -min(amount, on_hand) if reason is ReasonCode.DAMAGE else amount
            if change:
                on_hand += change
                updates.append({"id": item_id, "reason_code": reason, "quantity_change": change})
        self._run(items.bulk_update, BulkUpdate(updates=updates or [{"id": item_id, "quantity": on_hand}]))

    def _transfer(self, ref, room, elsewhere, amount):
        item_id = self._item(ref)
        moved = self._run(transfers.transfer, Transfer(
            from_item_id=item_id, to_room_type=room,
            quantity=min(amount, self._on_hand(item_id, available=True)) or amount,
            to_location_id=self.locations[1] if elsewhere else None))
        arrived = moved.result.destination.id
        if arrived not in self.item_ids:
            self.item_ids.append(arrived)

    def _archive(self, ref):
        item_id = self._item(ref)
        self._run(items.update_item, item_id, UpdateItem(quantity=Decimal(0)), None)
        self._run(items.archive_item, item_id)
        self.archived.add(item_id)

    # --- the replay the snapshot must agree with ---

    def replayed(self, location_id: str, at: datetime, room: RoomType | None) -> dict[str, Decimal]:
        if not hasattr(self, "_written"):  # the history is over: read each item and ledger once
            self._written = {item_id: (items.get_item(self.services, self.actor, item_id),
                                       self.ledger(item_id)) for item_id in self.item_ids}
        expected = {}
        for item_id, (item, ledger) in self._written.items():
            if item.location_id != location_id or (room is not None and item.room_type != room):
                continue
            if item.created_at > at or (item.archived_at is not None and item.archived_at <= at):
                continue
            expected[item_id] = sum((entry.quantity_change for entry in ledger
                                     if entry.occurred_at <= at), Decimal(0))
        return expected

    def ledger(self, item_id: str):
        found, cursor = [], None
        while True:
            page = items.list_changes(self.services, self.actor, item_id,
                                      ListChanges(cursor=cursor, limit=200))
            found += page.items
            cursor = page.next_cursor
            if cursor is None:
                return found

    def snapshot(self, location_id: str, at: datetime, room: RoomType | None, limit: int):
        lines, cursor, totals = {}, None, None
        while True:
            taken = snapshot.snapshot(self.services, self.actor, SnapshotQuery(
                location_id=location_id, at=at, room_type=room, limit=limit, cursor=cursor))
            assert taken.as_of == at
            assert totals in (None, taken.page.totals)  # every page carries the same totals
            totals = taken.page.totals
            for line in taken.page.lines:
                assert line.item.id not in lines
                lines[line.item.id] = line
            cursor = taken.next_cursor
            if cursor is None:
                return lines, totals


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(opening=st.lists(st.tuples(creates, steps), min_size=1, max_size=6),
       history=st.lists(st.tuples(operations, steps), min_size=12, max_size=40),
       room=st.sampled_from([None, *ROOMS]), limit=st.integers(min_value=1, max_value=4))
def test_snapshot_at_any_instant_equals_replaying_the_ledger(services, opening, history, room, limit):
    written = History(services)
    for operation, step in opening + history:
        written.clock.advance(microseconds=step / MICROSECOND)
        written.apply(operation)
    written.clock.advance(days=1)
    checked = sorted({moment + offset for moment in written.instants
                      for offset in (-MICROSECOND, timedelta(0))})
    event(f"items: {len(written.item_ids) // 5 * 5}+")
    event(f"ledger entries: {sum(len(written.ledger(i)) for i in written.item_ids) // 10 * 10}+")
    for location_id in written.locations:
        for at in checked:
            lines, totals = written.snapshot(location_id, at, room, limit)
            expected = written.replayed(location_id, at, room)
            assert {item_id: line.quantity for item_id, line in lines.items()} == expected, at
            assert totals.items == len(expected)
            assert totals.quantity == sum(expected.values(), Decimal(0))
            assert totals.value == sum((line.quantity * line.item.unit_cost for line in lines.values()
                                        if line.item.unit_cost is not None), Decimal(0))
