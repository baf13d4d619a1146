"""POS sync use cases: connect a location, request a sync, run it page by page, schedule it.

A full sync makes our counts equal the POS's: missing items are created, differing quantities
are corrected by AUDIT entries (source pos_sync, the sync id), and items the POS does not list
are reported. An incremental sync asks only for what changed since the last good watermark.
Each page is one transaction, so a failure mid-way leaves every applied page consistent.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterable, Protocol, Sequence

from ..domain.codes import ChangeSource, ReasonCode, Scope
from ..domain.commands import RequestSync, SetPosConnection
from ..domain.errors import Conflict, DomainError, NotFound
from ..domain.ledger import ChangeContext, apply_change, open_item
from ..domain.models import Event, InventoryItem
from ..domain.sync import (SYNC_COMPLETED, ConnectorKind, PosConnection, PosRow, RowError, SyncRun,
                           SyncStatus, SyncSummary, SyncType, parse_row)
from .auth import Actor
from .outbox import publish_committed
from .ports import Services, Transaction
from .recording import RecordingEvents, record_change
from .results import PosConnectionSet, SyncQueued
from .unit_of_work import Idempotency, Outcome, run_once


class PosPage(Protocol):
    rows: Sequence[dict[str, Any]]
    watermark: str | None


class PosConnector(Protocol):
    def pages(self, since: str | None) -> Iterable[PosPage]:
        """Rows in pages; `since` is the watermark of the last good incremental sync (or None)."""
        ...


ConnectorFactory = Callable[[PosConnection], PosConnector]
ZEROING_PAGE = 500  # missing items zeroed per transaction, as a POS page is applied


def set_connection(services: Services, actor: Actor, location_id: str, command: SetPosConnection,
                   idempotency: Idempotency) -> Outcome[PosConnectionSet]:
    actor.require(Scope.INVENTORY_WRITE)
    actor.check_organization(command.organization_id)

    def decide(tx: Transaction, now: datetime) -> PosConnectionSet:
        if tx.get_location(actor.organization_id, location_id) is None:
            raise NotFound(f"no location {location_id}", "location_id", "location_not_found")
        connection = PosConnection(organization_id=actor.organization_id, location_id=location_id,
                                   kind=ConnectorKind(command.kind), settings=command.settings,
                                   secret=command.secret, archive_missing=command.archive_missing,
                                   updated_at=now)
        services.connector_for(connection)  # refuses settings it cannot use
        tx.save_pos_connection(connection)
        return PosConnectionSet(connection)

    return run_once(services, actor, idempotency, decide)


def get_connection(services: Services, actor: Actor, location_id: str) -> PosConnection:
    actor.require(Scope.INVENTORY_READ)
    found = services.store.get_pos_connection(actor.organization_id, location_id)
    if found is None:
        raise NotFound(f"location {location_id} has no POS connection", "location_id",
                       "no_pos_connection")
    return found


def request_sync(services: Services, actor: Actor, command: RequestSync,
                 idempotency: Idempotency) -> Outcome[SyncQueued]:
    """Queue a sync; refused while one is queued or running for the location."""
    actor.require(Scope.INVENTORY_WRITE)
    actor.check_organization(command.organization_id)

    def decide(tx: Transaction, now: datetime) -> SyncQueued:
        return SyncQueued(_queue(services, tx, actor.organization_id, command.location_id,
                                 SyncType(command.sync_type), now))

    outcome = run_once(services, actor, idempotency, decide)
    if not outcome.replayed:
        services.sync_queue.enqueue(outcome.result.run.id)
    return outcome


def get_run(services: Services, actor: Actor, sync_id: str) -> SyncRun:
    actor.require(Scope.INVENTORY_READ)
    run = services.store.get_sync_run(actor.organization_id, sync_id)
    if run is None:
        raise NotFound(f"no sync run {sync_id}", "id", "sync_not_found")
    return run


def schedule_syncs(services: Services, sync_type: SyncType) -> list[str]:
    """The timer's work: queue a sync for every location with a POS connection (skipping busy ones)."""
    queued = []
    for connection in services.store.pos_connections():
        try:
            run = services.store.transact(lambda tx: _queue(
                services, tx, connection.organization_id, connection.location_id, sync_type,
                services.clock.now()))
        except Conflict:
            continue
        services.sync_queue.enqueue(run.id)
        queued.append(run.id)
    return queued


def run_sync(services: Services, sync_id: str) -> SyncRun:
    """Do a queued sync: fetch the POS's pages and reconcile each in its own transaction."""
    run = services.store.transact(lambda tx: _start(services, tx, sync_id))
    if run is None or run.status is not SyncStatus.RUNNING:
        return run
    summary = SyncSummary()
    seen: set[tuple[str, str]] = set()
    watermark = None
    try:
        connection = services.store.transact(
            lambda tx: tx.get_pos_connection(run.organization_id, run.location_id))
        if connection is None:
            raise NotFound("the location has no POS connection", "location_id", "no_pos_connection")
        since = None
        if run.sync_type is SyncType.INCREMENTAL:
            since = services.store.last_sync_watermark(run.organization_id, run.location_id)
        number = 0
        for page in services.connector_for(connection).pages(since):
            parsed = []
            for raw in page.rows:
                number += 1
                row = parse_row(number, raw)
                if isinstance(row, PosRow) and (row.room_type.value, row.sku) in seen:
                    row = RowError(row=number, sku=row.sku, field="sku",
                                   message="the same SKU and room appear twice in this sync")
                if isinstance(row, PosRow):
                    seen.add((row.room_type.value, row.sku))
                parsed.append(row)
            _apply_page(services, run, parsed, summary)
            watermark = page.watermark or watermark
        if run.sync_type is SyncType.FULL:
            _report_missing(services, run, connection, seen, summary)
        status, error = SyncStatus.SUCCEEDED, None
    except Exception as failure:  # the POS or its data failed: applied pages stay, the run says why
        status, error = SyncStatus.FAILED, _reason(failure)
    return _finish(services, run, status, error, summary, watermark)


def _queue(services: Services, tx: Transaction, organization_id: str, location_id: str,
           sync_type: SyncType, now: datetime) -> SyncRun:
    if tx.get_location(organization_id, location_id) is None:
        raise NotFound(f"no location {location_id}", "location_id", "location_not_found")
    if tx.get_pos_connection(organization_id, location_id) is None:
        raise Conflict("the location has no POS connection; set one first", "location_id",
                       "no_pos_connection")
    active = tx.active_sync_run(organization_id, location_id)
    if active is not None:
        raise Conflict(f"sync {active.id} is already {active.status.value} for this location",
                       "location_id", "sync_in_progress")
    run = SyncRun(id=services.new_id("syn"), organization_id=organization_id,
                  location_id=location_id, sync_type=sync_type, status=SyncStatus.QUEUED,
                  created_at=now)
    tx.save_sync_run(run)
    return run


def _start(services: Services, tx: Transaction, sync_id: str) -> SyncRun | None:
    run = tx.get_sync_run(sync_id)
    if run is None or run.status is not SyncStatus.QUEUED:
        return run
    started = run.model_copy(update={"status": SyncStatus.RUNNING, "started_at": services.clock.now()})
    tx.save_sync_run(started)
    return started


def _apply_page(services: Services, run: SyncRun, rows: list[PosRow | RowError],
                summary: SyncSummary, create: bool = True) -> None:
    """Reconcile one page of rows in one transaction: its items are read in one batch, then each
    difference is written as an AUDIT entry with its item and event. With `create` False (the
    zeroing of missing items) a place with no active item is left alone."""
    written: list[Event] = []

    def work(tx: Transaction) -> SyncSummary:
        written.clear()
        page = SyncSummary()
        now = services.clock.now()
        context = ChangeContext(source=ChangeSource.POS_SYNC, sync_id=run.id)
        notes = f"POS sync {run.id}"
        found = tx.find_active_items(run.organization_id, run.location_id,
                                     [(r.room_type, r.sku) for r in rows if isinstance(r, PosRow)])
        recording = RecordingEvents(tx, written)
        confirmed: list[str] = []  # counts the POS confirmed: last_sync only, not a change
        for row in rows:
            if isinstance(row, RowError):
                page.errors.append(row)
                continue
            item = found.get((row.room_type, row.sku))
            if item is None and not create:
                continue  # archived since the report looked: nothing left to zero
            page.seen += 1
            if item is not None and item.quantity == row.quantity:
                page.unchanged += 1
                confirmed.append(item.id)
                continue
            try:
                if item is None:
                    after, entry = open_item(
                        _new_item(services, run, row, now), quantity=row.quantity,
                        reason=ReasonCode.AUDIT, notes=notes, context=context,
                        change_id=services.new_id("chg"), now=now)
                else:
                    after, entry = apply_change(
                        item, quantity_change=row.quantity - item.quantity, reason=ReasonCode.AUDIT,
                        notes=notes, context=context, change_id=services.new_id("chg"), now=now)
            except DomainError as refusal:
                page.errors.append(RowError(row=row.row, sku=row.sku, field="quantity",
                                            message=refusal.message))
                continue
            if item is None:
                page.created += 1
            else:
                page.updated += 1
            record_change(services, recording, item, after.model_copy(update={"last_sync": now}),
                          entry, now)
        tx.confirm_synced(run.organization_id, confirmed, now)
        return page

    page = services.store.transact(work)
    publish_committed(services, list(written))
    summary.seen += page.seen
    summary.created += page.created
    summary.updated += page.updated
    summary.unchanged += page.unchanged
    summary.errors += page.errors


def _new_item(services: Services, run: SyncRun, row: PosRow, now: datetime) -> InventoryItem:
    return InventoryItem(
        id=services.new_id("itm"), organization_id=run.organization_id,
        product_id=row.product_id or row.sku, product_name=row.product_name or row.sku,
        sku=row.sku, location_id=run.location_id, room_type=row.room_type, category=row.category,
        unit=row.unit, quantity=Decimal(0), unit_cost=row.unit_cost, unit_price=row.unit_price,
        created_at=now, updated_at=now, version=1)


def _report_missing(services: Services, run: SyncRun, connection: PosConnection,
                    seen: set[tuple[str, str]], summary: SyncSummary) -> None:
    """Report the location's active items the POS did not send, as one query saw them (so items
    archived or created meanwhile cannot shift or hide any); zero them if the location says so."""
    places = services.store.active_places(run.organization_id, run.location_id)
    missing = sorted((sku, room_type) for room_type, sku in places
                     if (room_type.value, sku) not in seen)
    summary.missing = [sku for sku, _ in missing]  # by SKU, then room
    if connection.archive_missing:
        zeroed = [PosRow(sku=sku, room_type=room_type, quantity=Decimal(0))
                  for sku, room_type in missing]
        for start in range(0, len(zeroed), ZEROING_PAGE):
            _apply_page(services, run, zeroed[start:start + ZEROING_PAGE], SyncSummary(), create=False)


def _finish(services: Services, run: SyncRun, status: SyncStatus, error: str | None,
            summary: SyncSummary, watermark: str | None) -> SyncRun:
    written: list[Event] = []

    def work(tx: Transaction) -> SyncRun:
        written.clear()
        now = services.clock.now()
        done = run.model_copy(update={"status": status, "error": error, "summary": summary,
                                      "finished_at": now,
                                      "watermark": watermark if status is SyncStatus.SUCCEEDED else None})
        tx.save_sync_run(done)
        event = Event(id=services.new_id("evt"), organization_id=run.organization_id,
                      type=SYNC_COMPLETED, subject_id=run.location_id, occurred_at=now,
                      data={"sync": done.model_dump(exclude={"organization_id"})})
        tx.append_event(event)
        written.append(event)
        return done

    done = services.store.transact(work)
    publish_committed(services, written)
    return done


def _reason(failure: Exception) -> str:
    message = failure.message if isinstance(failure, DomainError) else str(failure)
    return f"{type(failure).__name__}: {message}"[:500]

