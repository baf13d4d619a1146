"""POS sync use cases: connect a location, request a sync, run it page by page, schedule it.

A full sync makes our counts equal the POS's: missing items are created, differing quantities
are corrected by AUDIT entries (source pos_sync, the sync id), and items the POS does not list
are reported. An incremental sync asks only for what changed since the last good watermark.
Each page is one transaction, so a failure mid-way leaves every applied page consistent.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterable, Protocol, Sequence

from ..domain.codes import ChangeSource, ReasonCode, Scope
from ..domain.commands import RequestSync, SetPosConnection
from ..domain.errors import Conflict, DomainError, NotFound
from ..domain.ledger import ChangeContext, open_item, pos_count_instant
from ..domain.models import InventoryItem
from ..domain.sync import (WORKER_LOST, ConnectorKind, PosConnection, PosRow, RowError, SyncRun,
                           SyncStatus, SyncSummary, SyncType, completed_event, parse_row)
from . import unit_of_work
from .auth import Actor
from .dated_changes import DatedLedger, backdating_window_days
from .locations import require_location, resolve_location
from .ports import Services, Transaction
from .recording import record_change
from .results import PosConnectionSet, SyncQueued
from .unit_of_work import Idempotency, Outcome, run_once


class PosPage(Protocol):
    rows: Sequence[dict[str, Any]]
    watermark: str | None


class PosConnector(Protocol):
    def pages(self, since: str | None) -> Iterable[PosPage]:
        """Rows in pages; `since` is the watermark of the last good incremental sync (or None)."""
        ...


_log = logging.getLogger(__name__)
ConnectorFactory = Callable[[PosConnection], PosConnector]
ZEROING_PAGE = 500  # missing items zeroed per transaction, as a POS page is applied


def set_connection(services: Services, actor: Actor, location_id: str, command: SetPosConnection,
                   idempotency: Idempotency) -> Outcome[PosConnectionSet]:
    actor.require(Scope.INVENTORY_WRITE)
    actor.check_organization(command.organization_id)

    def decide(tx: Transaction, now: datetime) -> PosConnectionSet:
        location = require_location(tx, actor.organization_id, location_id)  # an id or a code
        connection = PosConnection(organization_id=actor.organization_id, location_id=location.id,
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
    if found is None:  # it may be a code: looked up only then, so a read by id costs no more
        location = resolve_location(services.store, actor.organization_id, location_id)
        if location is not None and location.id != location_id:
            found = services.store.get_pos_connection(actor.organization_id, location.id)
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
    """The timer's work: sweep runs whose worker was lost, then queue a sync for every location
    with a POS connection (skipping busy ones)."""
    sweep_lost_runs(services)
    queued = []
    for connection in services.store.pos_connections():
        try:
            run = unit_of_work.run(services, lambda tx: _queue(
                services, tx, connection.organization_id, connection.location_id, sync_type,
                services.clock.now()))
        except Conflict:
            continue
        services.sync_queue.enqueue(run.id)
        queued.append(run.id)
    return queued


def sweep_lost_runs(services: Services, limit: int = 100) -> list[SyncRun]:
    """Fail every running sync whose lease ran out ("worker lost"), freeing its location, and
    ask again for queued runs no worker has taken within a lease (a lost queue message)."""
    now, lease = services.clock.now(), _lease(services)
    swept = []
    for run in services.store.running_sync_runs(limit):
        if run.lost(now, lease):
            def work(tx: Transaction, run_id: str = run.id) -> SyncRun | None:
                current = tx.get_sync_run(run_id)
                if current is None or not current.lost(services.clock.now(), lease):
                    return None  # renewed or finished meanwhile
                return _fail_lost(services, tx, current)

            failed = unit_of_work.run(services, work)
            if failed is not None:
                swept.append(failed)
    for run in services.store.queued_sync_runs(limit):
        if run.created_at + lease <= now:
            services.sync_queue.enqueue(run.id)
    return swept


def run_sync(services: Services, sync_id: str) -> SyncRun | None:
    """Do a queued sync, holding the run's lease (renewed in the background) the whole time. A
    run that is not queued (taken by another worker, or done) is left alone."""
    run, started = services.store.transact(lambda tx: _start(services, tx, sync_id))
    if not started:
        return run
    with _LeaseKeeper(services, run):
        return _work(services, run)


def _work(services: Services, run: SyncRun) -> SyncRun | None:
    """Fetch the POS's pages and reconcile each in its own transaction."""
    summary = SyncSummary()
    seen: set[tuple[str, str]] = set()
    watermark = None
    try:
        connection = services.store.get_pos_connection(run.organization_id, run.location_id)
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
                    row = RowError(row=number, sku=row.sku, field="sku", code="duplicate_row",
                                   message="the same SKU and room appear twice in this sync")
                if isinstance(row, PosRow):
                    seen.add((row.room_type.value, row.sku))
                parsed.append(row)
            _apply_page(services, run, parsed, summary)
            watermark = page.watermark or watermark
        if run.sync_type is SyncType.FULL:
            _report_missing(services, run, connection, seen, summary)
        status, error = SyncStatus.SUCCEEDED, None
    except LeaseLost as lost:  # swept as lost while this worker stalled: it is over
        return lost.run
    except Exception as failure:  # the POS or its data failed: applied pages stay, the run says why
        status, error = SyncStatus.FAILED, _reason(failure)
    return _finish(services, run, status, error, summary, watermark)


class LeaseLost(Exception):
    """This worker's run is no longer running (its lease ran out and it was swept)."""

    def __init__(self, run: SyncRun | None):
        super().__init__("the sync run's lease was lost")
        self.run = run


def _lease(services: Services) -> timedelta:
    return timedelta(seconds=services.settings.sync_lease_s)


def _still_running(tx: Transaction, run: SyncRun) -> None:
    """Refuse to write for a run that was swept: read in the writing transaction, so a sweep
    and this worker's write cannot both commit."""
    current = tx.get_sync_run(run.id)
    if current is None or current.status is not SyncStatus.RUNNING:
        raise LeaseLost(current)


class _LeaseKeeper:
    """Renews a running sync's lease every third of its length, on a thread of its own, for as
    long as the worker is in the block; stops renewing once the run is no longer running."""

    def __init__(self, services: Services, run: SyncRun):
        self.services, self.run_id = services, run.id
        self.lease = _lease(services)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_until_stopped,
                                        name=f"lease-{run.id}", daemon=True)

    def __enter__(self) -> "_LeaseKeeper":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _renew_until_stopped(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() / 3):
            try:
                if not self.services.store.transact(self._renew):
                    return
            except Exception:  # a failed renewal is retried on the next tick; the lease is long
                _log.warning("renewing the lease of sync %s failed", self.run_id, exc_info=True)

    def _renew(self, tx: Transaction) -> bool:
        current = tx.get_sync_run(self.run_id)
        if current is None or current.status is not SyncStatus.RUNNING:
            return False
        tx.save_sync_run(current.model_copy(
            update={"lease_until": self.services.clock.now() + self.lease}))
        return True


def _queue(services: Services, tx: Transaction, organization_id: str, location_id: str,
           sync_type: SyncType, now: datetime) -> SyncRun:
    location_id = require_location(tx, organization_id, location_id).id  # an id or a code
    if tx.get_pos_connection(organization_id, location_id) is None:
        raise Conflict("the location has no POS connection; set one first", "location_id",
                       "no_pos_connection")
    active = tx.active_sync_run(organization_id, location_id)
    if active is not None and active.lost(now, _lease(services)):
        _fail_lost(services, tx, active)  # its worker died: the location is free
        active = None
    if active is not None:
        raise Conflict(f"sync {active.id} is already {active.status.value} for this location",
                       "location_id", "sync_in_progress")
    run = SyncRun(id=services.new_id("syn"), organization_id=organization_id,
                  location_id=location_id, sync_type=sync_type, status=SyncStatus.QUEUED,
                  created_at=now)
    tx.save_sync_run(run)
    return run


def _start(services: Services, tx: Transaction, sync_id: str) -> tuple[SyncRun | None, bool]:
    """The run, and whether this worker took it (it was queued): running, with a fresh lease."""
    run = tx.get_sync_run(sync_id)
    if run is None or run.status is not SyncStatus.QUEUED:
        return run, False
    now = services.clock.now()
    started = run.model_copy(update={"status": SyncStatus.RUNNING, "started_at": now,
                                     "lease_until": now + _lease(services)})
    tx.save_sync_run(started)
    return started, True


def _fail_lost(services: Services, tx: Transaction, run: SyncRun) -> SyncRun:
    """Record a run whose worker was lost as failed, and announce it as any finished run is."""
    now = services.clock.now()
    failed = run.model_copy(update={"status": SyncStatus.FAILED, "error": WORKER_LOST,
                                    "finished_at": now, "lease_until": None})
    tx.save_sync_run(failed)
    tx.append_event(completed_event(failed, services.new_id("evt"), now))
    return failed


def _apply_page(services: Services, run: SyncRun, rows: list[PosRow | RowError],
                summary: SyncSummary, create: bool = True) -> None:
    """Reconcile one page of rows in one transaction: its items are read in one batch, then each
    difference is written as an AUDIT entry with its item and event. With `create` False (the
    zeroing of missing items) a place with no active item is left alone."""
    window_days: int | None = None

    def window() -> int:  # read only when a row's updated_at may date its count
        nonlocal window_days
        if window_days is None:
            window_days = backdating_window_days(services, run.organization_id)
        return window_days

    def work(tx: Transaction) -> SyncSummary:
        page = SyncSummary()
        now = services.clock.now()
        context = ChangeContext(source=ChangeSource.POS_SYNC, sync_id=run.id)
        notes = f"POS sync {run.id}"
        _still_running(tx, run)
        found = tx.find_active_items(run.organization_id, run.location_id,
                                     [(r.room_type, r.sku) for r in rows if isinstance(r, PosRow)])
        ledger = DatedLedger(tx, window)
        confirmed: list[str] = []  # counts the POS confirmed: last_sync only, not a change
        for row in rows:
            if isinstance(row, RowError):
                page.errors.append(row)
                continue
            item = found.get((row.room_type, row.sku))
            if item is None and not create:
                continue  # archived since the report looked: nothing left to zero
            page.seen += 1
            try:
                dated = None if item is None else pos_count_instant(
                    item, row.updated_at, now, window, agrees=item.quantity == row.quantity)
                if item is not None and dated is None and item.quantity == row.quantity:
                    page.unchanged += 1
                    confirmed.append(item.id)
                    continue
                if item is None:
                    after, entry = open_item(
                        _new_item(services, run, row, now), quantity=row.quantity,
                        reason=ReasonCode.AUDIT, notes=notes, context=context,
                        change_id=services.new_id("chg"), now=now)
                    if entry is not None:
                        ledger.add(entry)
                else:
                    placed = ledger.place(
                        item, occurred_at=dated, now=now, counted=row.quantity,
                        reason=ReasonCode.AUDIT, notes=notes, context=context,
                        change_id=services.new_id("chg"), skip_no_op=True)
                    if placed is None:  # the count agrees with the quantity it found then
                        page.unchanged += 1
                        confirmed.append(item.id)
                        continue
                    after, entry = placed.item, placed.entry
            except DomainError as refusal:
                page.errors.append(RowError(row=row.row, sku=row.sku, field=_row_field(refusal),
                                            code=refusal.code, message=refusal.message))
                continue
            if item is None:
                page.created += 1
            else:
                page.updated += 1
            record_change(services, tx, item, after.model_copy(update={"last_sync": now}),
                          entry, now, append=False)
        ledger.write()
        tx.confirm_synced(run.organization_id, confirmed, now)
        return page

    page = unit_of_work.run(services, work)
    summary.seen += page.seen
    summary.created += page.created
    summary.updated += page.updated
    summary.unchanged += page.unchanged
    summary.errors += page.errors


def _row_field(refusal: DomainError) -> str:
    """The row's column a refused count names: its date for a refusal of when it happened (the
    row's updated_at is the change's occurred_at), its quantity otherwise."""
    named = refusal.fields[0].field if refusal.fields else ""
    return "updated_at" if named in ("updated_at", "occurred_at") else "quantity"


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
    def work(tx: Transaction) -> SyncRun:
        _still_running(tx, run)
        now = services.clock.now()
        done = run.model_copy(update={"status": status, "error": error, "summary": summary,
                                      "finished_at": now, "lease_until": None,
                                      "watermark": watermark if status is SyncStatus.SUCCEEDED else None})
        tx.save_sync_run(done)
        tx.append_event(completed_event(done, services.new_id("evt"), now))
        return done

    try:
        return unit_of_work.run(services, work)
    except LeaseLost as lost:  # swept meanwhile: "worker lost" stands
        return lost.run


def _reason(failure: Exception) -> str:
    message = failure.message if isinstance(failure, DomainError) else str(failure)
    return f"{type(failure).__name__}: {message}"[:500]

