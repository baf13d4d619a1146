"""Dated stock rows (counts an uploader posts per product, location and date): counted through
the ledger and kept as posted, in one unit of work."""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Sequence

from ..domain.commands import BulkUpdate
from ..domain.time import format_instant
from .auth import Actor
from .items import bulk_change
from .ports import Services, StockRow, Transaction
from .results import RowsCounted
from .unit_of_work import Idempotency, Outcome, run_once


def count_stock_rows(services: Services, actor: Actor, counts: BulkUpdate,
                     rows: Sequence[StockRow], idempotency: Idempotency) -> Outcome[RowsCounted]:
    """Apply `counts` as a bulk update does (every line checked, one refusal refuses all) and
    keep `rows`, each replacing the kept row with its key, in the same transaction: all or
    nothing, exactly once per Idempotency-Key."""
    apply_counts = bulk_change(services, actor, counts, idempotency)

    def decide(tx: Transaction, now: datetime) -> RowsCounted:
        kept = tx.get_stock_rows(actor.organization_id, [row.key for row in rows])
        applied = apply_counts(tx, now)
        recorded = format_instant(now)
        for row in rows:
            tx.save_stock_row(dataclasses.replace(row, recorded_at=recorded))
        return RowsCounted(applied, updated=len(kept), inserted=len(rows) - len(kept))

    return run_once(services, actor, idempotency, decide)
