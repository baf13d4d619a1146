"""Putting changes at their effective time in one transaction: reading an item's later entries
only when some may follow, and writing the entries placed and re-derived, each once."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Callable

from ..domain.codes import ReasonCode
from ..domain.errors import InvalidInput
from ..domain.ledger import (ChangeContext, Placement, check_occurred_at, has_later_entries,
                             place_change)
from ..domain.models import InventoryItem, LedgerEntry
from .ports import Services, Transaction


def backdating_window_days(services: Services, organization_id: str) -> int:
    """The organization's backdating window (read only for a change that carries occurred_at)."""
    organization = services.store.get_organization(organization_id)
    return 35 if organization is None else organization.backdating_window_days


class DatedLedger:
    """The ledger entries one transaction places and re-derives: a second change to an item in
    the same transaction sees the first, and `write` stores each entry once, as it ends up. An
    entry this transaction placed and a later one re-derived is new, not revised: only entries
    already stored carry `revised_at`."""

    def __init__(self, tx: Transaction, window_days: int | Callable[[], int] | None = None):
        self._tx = tx
        self._window_days = window_days  # the organization's; a function reads it when first needed
        self._new: dict[str, LedgerEntry] = {}
        self._rederived: dict[str, LedgerEntry] = {}

    def place(self, item: InventoryItem, *, occurred_at: datetime | None, now: datetime,
              quantity_change: Decimal | None = None, counted: Decimal | None = None,
              reason: ReasonCode, notes: str | None, context: ChangeContext, change_id: str,
              field_prefix: str = "", skip_no_op: bool = False) -> Placement | None:
        """Decide a change dated `occurred_at` (None: now) against the item and the entries
        that follow that instant, reading them only when some may. With `skip_no_op`, a change
        that would change nothing (a count finding what was there) is dropped: None."""
        later: list[LedgerEntry] = []
        if occurred_at is not None:
            field = field_prefix + "occurred_at"
            window = self._window_days() if callable(self._window_days) else self._window_days
            assert window is not None, "a dated change needs the organization's window"
            check_occurred_at(occurred_at, now, window, field)
            if occurred_at < item.created_at:
                raise InvalidInput("occurred_at is before the item was created", field,
                                   "occurred_before_item")
            if has_later_entries(item, occurred_at):
                later = self._later(item, occurred_at)
        placed = place_change(item, quantity_change=quantity_change, counted=counted,
                              reason=reason, notes=notes, context=context, change_id=change_id,
                              now=now, occurred_at=occurred_at, later=later,
                              field_prefix=field_prefix)
        if skip_no_op and placed.entry.quantity_change == 0 and not placed.rederived:
            return None
        for entry in placed.rederived:
            if entry.id in self._new:  # placed earlier in this transaction: not yet history
                self._new[entry.id] = entry.model_copy(update={"revised_at": None,
                                                               "revised_by": None})
            else:
                self._rederived[entry.id] = entry
        self._new[placed.entry.id] = placed.entry
        return placed

    def written(self, entry: LedgerEntry) -> LedgerEntry:
        """A new entry as `write` stores it: re-derived by any later change to its item in this
        transaction."""
        return self._new[entry.id]

    def add(self, entry: LedgerEntry) -> None:
        """An entry decided elsewhere (an item's opening), to be written with the others."""
        self._new[entry.id] = entry

    def _later(self, item: InventoryItem, at: datetime) -> list[LedgerEntry]:
        found = {e.id: e for e in self._tx.ledger_after(item.organization_id, item.id, at)}
        for entry in (*self._rederived.values(), *self._new.values()):
            if entry.item_id == item.id and entry.occurred_at > at:
                found[entry.id] = entry
        return sorted(found.values(), key=lambda e: (e.occurred_at, e.item_version))

    def write(self) -> None:
        """Append the new entries and rewrite the re-derived ones."""
        for entry in self._new.values():
            self._tx.append_ledger(entry)
        if self._rederived:
            self._tx.rewrite_ledger(list(self._rederived.values()))
