"""Records for the store contract suite, with the ids and instants a test chooses, and the few
transactions that write them through the Transaction port as the service would."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Sequence

from inventory.domain.codes import ChangeSource, ReasonCode, RoomType
from inventory.domain.errors import Conflict
from inventory.domain.models import Event, InventoryItem, LedgerEntry
from inventory.domain.sync import SyncRun, SyncStatus, SyncType
from inventory.domain.webhooks import Delivery, DeliveryState

ORG, OTHER_ORG = "org_a", "org_b"
LOCATION, OTHER_LOCATION = "loc_1", "loc_2"
# Well in the past, so Firestore's event feed (which holds back the last few seconds) shows it.
T0 = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)


def at(seconds: float = 0, microseconds: int = 0) -> datetime:
    return T0 + timedelta(seconds=seconds, microseconds=microseconds)


def item(item_id: str, *, sku: str | None = None, organization_id: str = ORG,
         location_id: str = LOCATION, room_type: RoomType = RoomType.SALES_FLOOR,
         quantity: Decimal | int = 0, created_at: datetime = T0, archived_at: datetime | None = None,
         updated_at: datetime | None = None, version: int = 1, **fields) -> InventoryItem:
    return InventoryItem(
        id=item_id, organization_id=organization_id, product_id=f"prod-{sku or item_id}",
        product_name="Blue Dream 3.5g", sku=sku or item_id.upper(), location_id=location_id,
        room_type=room_type, quantity=Decimal(quantity), created_at=created_at,
        updated_at=updated_at or archived_at or created_at, archived_at=archived_at,
        version=version, **fields)


def entry(of: InventoryItem, change_id: str, *, version: int, after: Decimal | int,
          before: Decimal | int = 0, occurred_at: datetime = T0) -> LedgerEntry:
    return LedgerEntry(
        id=change_id, organization_id=of.organization_id, item_id=of.id, location_id=of.location_id,
        quantity_change=Decimal(after) - Decimal(before), quantity_before=Decimal(before),
        quantity_after=Decimal(after), reason_code=ReasonCode.AUDIT, source=ChangeSource.API,
        item_version=version, occurred_at=occurred_at)


def event(event_id: str, *, occurred_at: datetime, type: str = "inventory.updated",
          organization_id: str = ORG) -> Event:
    return Event(id=event_id, organization_id=organization_id, type=type, subject_id="itm_x",
                 occurred_at=occurred_at, data={"n": event_id})


def delivery(delivery_id: str, *, created_at: datetime, subscription_id: str = "whk_1",
             state: DeliveryState = DeliveryState.PENDING, next_attempt_at: datetime | None = None,
             lease_until: datetime | None = None, organization_id: str = ORG,
             updated_at: datetime | None = None) -> Delivery:
    return Delivery(id=delivery_id, organization_id=organization_id, subscription_id=subscription_id,
                    event_id=f"evt_{delivery_id}", event_type="inventory.updated", state=state,
                    next_attempt_at=next_attempt_at, lease_until=lease_until,
                    created_at=created_at, updated_at=updated_at or created_at)


def sync_run(run_id: str, *, created_at: datetime, status: SyncStatus = SyncStatus.SUCCEEDED,
             finished_at: datetime | None = None, watermark: str | None = None,
             location_id: str = LOCATION, organization_id: str = ORG) -> SyncRun:
    done = status in (SyncStatus.SUCCEEDED, SyncStatus.FAILED)
    return SyncRun(id=run_id, organization_id=organization_id, location_id=location_id,
                   sync_type=SyncType.INCREMENTAL, status=status, created_at=created_at,
                   started_at=created_at if status is not SyncStatus.QUEUED else None,
                   finished_at=(finished_at or created_at) if done else None,
                   watermark=watermark)


def create_items(store, items: Sequence[InventoryItem]) -> None:
    """Create new items in one transaction as the service does: each active item's place is
    read first (the read that keeps a concurrent create of the same place out), then saved."""
    def work(tx):
        by_place: dict[tuple[str, str], list[InventoryItem]] = {}
        for new in items:
            if new.archived_at is None:
                by_place.setdefault((new.organization_id, new.location_id), []).append(new)
        for (organization_id, location_id), placed in by_place.items():
            found = tx.find_active_items(organization_id, location_id,
                                         [(i.room_type, i.sku) for i in placed])
            assert not found, f"places already held: {sorted(found)}"
        for new in items:
            tx.save_item(new)
    store.transact(work)


def write(store, *, entries: Sequence[LedgerEntry] = (), events: Sequence[Event] = (),
          deliveries: Sequence[Delivery] = (), runs: Sequence[SyncRun] = ()) -> None:
    """Append these records in one transaction, in the order given."""
    def work(tx):
        for record in entries:
            tx.append_ledger(record)
        for record in events:
            tx.append_event(record)
        for record in deliveries:
            tx.save_delivery(record)
        for record in runs:
            tx.save_sync_run(record)
    store.transact(work)


def cursor_pages(read_page: Callable[[str | None], Any]) -> list[list[str]]:
    """The ids of each page a cursor-paged read returns (`read_page(cursor)`, a Slice), from the
    first page to the one without a next cursor."""
    pages, cursor = [], None
    while True:
        found = read_page(cursor)
        pages.append([record.id for record in found.items])
        if found.next_cursor is None:
            return pages
        cursor = found.next_cursor


@dataclass
class Race:
    """What `writers` concurrent transactions came to: each one's result, the codes of those
    refused with a Conflict, and any other failure."""

    writers: int
    results: list[Any] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)


def race(store, backend: str, work: Callable[[int], Callable[[Any], Any]]) -> Race:
    """Run writer n's transaction `work(n)` for several writers at once (released together by a
    barrier): 8 on SQLite, 3 on Firestore's emulator, which settles each conflict by a ~2 s timeout."""
    writers = 8 if backend == "sqlite" else 3
    start = threading.Barrier(writers)
    outcome = Race(writers)

    def writer(n: int) -> None:
        start.wait()
        try:
            outcome.results.append(store.transact(work(n)))
        except Conflict as refusal:
            outcome.refused.append(refusal.code)
        except Exception as failure:  # noqa: BLE001 - reported in the outcome
            outcome.failures.append(failure)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome
