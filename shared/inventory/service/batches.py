"""A batch of changes, counts and transfers applied atomically: every line is checked against
the lines before it, and one refusal refuses all (the native bulk update, Square's batch-create)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Callable, NamedTuple, Sequence

from ..domain.codes import ChangeSource, Scope
from ..domain.commands import BulkLine, Transfer
from ..domain.errors import DomainError, FieldError, InvalidInput
from ..domain.ledger import ChangeContext, ClientReference
from ..domain.models import InventoryItem, LedgerEntry
from .auth import Actor
from .dated_changes import DatedLedger, backdating_window_days
from .ports import Services, Transaction
from .recording import record_change
from .results import BulkApplied
from .transfers import move
from .unit_of_work import Idempotency, Outcome, run_once


class BatchLine(NamedTuple):
    """One line: a change or count of an item (`change.id`), or a transfer out of one
    (`change.from_item_id`), with the client's own names for it."""

    change: BulkLine | Transfer
    client: ClientReference = ClientReference()


def apply_batch(services: Services, actor: Actor, lines: Sequence[BatchLine],
                idempotency: Idempotency, skip_unchanged_counts: bool = False) -> Outcome[BulkApplied]:
    """Apply every line in one transaction or none; a refusal names each refused line's field
    under `updates[i].`. With `skip_unchanged_counts`, a count that finds the quantity it
    counts writes no entry."""
    return run_once(services, actor, idempotency,
                    batch_change(services, actor, lines, idempotency, skip_unchanged_counts))


def batch_change(services: Services, actor: Actor, lines: Sequence[BatchLine],
                 idempotency: Idempotency, skip_unchanged_counts: bool = False,
                 ) -> Callable[[Transaction, datetime], BulkApplied]:
    """The decision of a batch, for a use case that makes it with other writes in one unit of
    work (the caller's rights are checked now, the lines in its transaction)."""
    actor.require(Scope.INVENTORY_WRITE)
    window = (backdating_window_days(services, actor.organization_id)
              if any(line.change.occurred_at is not None for line in lines) else None)

    def decide(tx: Transaction, now: datetime) -> BulkApplied:
        org = actor.organization_id
        named = [_item_id(line.change) for line in lines]
        found = tx.get_items(org, named)  # every read of the named items, at once, before any write
        originals: dict[str, InventoryItem | None] = {i: found.get(i) for i in named}
        current = dict(originals)
        touched = list(named)
        changes: list[tuple[InventoryItem | None, InventoryItem, LedgerEntry]] = []
        problems: list[FieldError] = []
        base = ChangeContext(source=ChangeSource.BULK, api_key_id=actor.api_key_id,
                             idempotency_key=idempotency.key)
        ledger = DatedLedger(tx, window)
        for index, line in enumerate(lines):
            prefix = f"updates[{index}]."
            change, context = line.change, replace(base, client=line.client)
            item = current[named[index]]
            if item is None:
                field = "from_item_id" if isinstance(change, Transfer) else "id"
                problems.append(FieldError(prefix + field, "item_not_found",
                                           f"no inventory item {named[index]}"))
                continue
            try:
                if isinstance(change, Transfer):
                    moved = move(services, tx, ledger, item, change, context, now, prefix, current)
                    (out_entry, in_entry), destination = moved.result.entries, moved.result.destination
                    changes += [(item, moved.result.source, out_entry),
                                (moved.destination_before, destination, in_entry)]
                    current[item.id] = moved.result.source
                    current[destination.id] = destination
                    touched.append(destination.id)
                    continue
                placed = ledger.place(
                    item, occurred_at=change.occurred_at, now=now,
                    quantity_change=change.quantity_change, counted=change.quantity,
                    reason=change.reason, notes=change.notes, context=context,
                    change_id=services.new_id("chg"), field_prefix=prefix,
                    skip_no_op=skip_unchanged_counts and change.quantity is not None)
            except DomainError as refusal:
                problems.extend(refusal.fields or [FieldError(prefix + "id", refusal.code, refusal.message)])
                continue
            if placed is not None:
                changes.append((item, placed.item, placed.entry))
                current[item.id] = placed.item
        if problems:
            raise InvalidInput(f"{len(problems)} of {len(lines)} updates were refused; "
                               "nothing was applied", code="bulk_update_refused", fields=problems)
        # Events are built once every line is placed: a later line may re-derive an earlier
        # line's entry, and each event shows its entry as it is written.
        written = [(before, after, ledger.written(entry)) for before, after, entry in changes]
        for before, after, entry in written:
            record_change(services, tx, before, after, entry, now, save=False, append=False)
        ledger.write()
        for item_id, item in current.items():
            if item is not originals.get(item_id):
                tx.save_item(item)
        return BulkApplied([current[item_id] for item_id in dict.fromkeys(touched)],
                           [entry for _, _, entry in written])

    return decide


def _item_id(change: BulkLine | Transfer) -> str:
    return change.from_item_id if isinstance(change, Transfer) else change.id
