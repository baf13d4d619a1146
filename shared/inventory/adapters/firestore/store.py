"""FirestoreStore: the InventoryStore port over Google Cloud Firestore.

Layout (top-level collections; each document also holds `organization_id`, which every read
checks):
  items/{id}, items/{id}/ledger/{change id}, item_places/{hash of org, location, room, sku},
  locations/{id}, location_codes/{hash of org, code}, events/{id}, idempotency/{hash of org, API key id, key}, webhook_subscriptions/{id},
  deliveries/{id}, pos_connections/{hash of org, location}, sync_locks/{same}, sync_runs/{id},
  organizations/{id}, api_keys/{sha-256 of the key}, stock_rows/{hash of org, location, product, date}.
Values are stored as the SQLite store stores them (adapters/records.py): quantities and money as
scaled integers, instants as fixed-width UTC text, so no float ever holds a quantity, and secrets
(a subscription's or POS connection's `secret`, a replay `body` that holds one) sealed by the box.
The composite indexes these queries need are declared in infra/firestore.tf.
"""
from __future__ import annotations

import contextlib
import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Callable, Collection, Sequence, TypeVar

from ...domain import cursor as cursors
from ...domain.codes import RoomType
from ...domain.errors import Contention
from ...domain.models import (ApiKey, Event, IdempotencyRecord, InventoryItem, LedgerEntry,
                              Location, Organization)
from ...domain.snapshot import (SettingEntry, SnapshotLine, SnapshotPage, SnapshotTotals,
                                existed_at)
from ...domain.sync import PosConnection, SyncRun
from ...domain.time import format_instant
from ...domain.webhooks import Delivery, WebhookSubscription
from ...service.ports import STOCK_ROW_ORDERS, ItemFilter, Page, SecretBox, Slice, StockRow
from ..records import SEALED, SealedRecords, from_row, to_row
from ..secret_box import NO_SECRET_BOX
from .transaction import (RELAY_SHARDS, FirestoreTransaction, digest, item_from_document,
                          ledger_entry, location_code_document_id, location_from_document,
                          reserved_id,
                          subscription_from_document,
                          sync_run)

T = TypeVar("T")
_WATERMARK_PAGE = 20  # successful runs read at a time past the newest, looking for a watermark


class FirestoreStore:
    def __init__(self, project: str, database: str = "(default)", feed_settle_s: float = 5.0,
                 max_attempts: int = 40, max_backoff_s: float = 2.0, contention_s: float = 20.0,
                 secret_box: SecretBox = NO_SECRET_BOX):
        from google.api_core import exceptions
        from google.cloud import firestore

        self._retryable = (exceptions.Aborted, exceptions.DeadlineExceeded,
                           exceptions.ServiceUnavailable)
        self.client = firestore.Client(project=project, database=database)
        self.feed_settle = timedelta(seconds=feed_settle_s)
        self.max_attempts = max_attempts
        self.max_backoff_s = max_backoff_s
        self._sealed = SealedRecords(secret_box)
        self.contention_s = contention_s

    def _collection(self, name: str):
        return self.client.collection(name)

    # -- transactions ------------------------------------------------------------------------
    def transact(self, work: Callable[[FirestoreTransaction], T]) -> T:
        """Run `work` in a Firestore transaction. On contention run it again, as the client
        library's `transactional` does, in a transaction begun as a retry of the first
        (`retry_transaction`), so it keeps its place in line among the item's writers; a short
        jittered pause spreads the retries. No attempt starts after `contention_s` seconds or
        past `max_attempts`: then the work is refused with Contention (503, nothing written),
        inside the HTTP functions' timeout."""
        deadline = time.monotonic() + self.contention_s
        first_id: bytes | None = None
        ceiling = 0.05
        for _ in range(self.max_attempts):
            transaction = self.client.transaction()
            try:
                transaction._begin(retry_id=first_id)
                first_id = first_id or transaction._id
                tx = FirestoreTransaction(self.client, transaction, self._sealed)
                result = work(tx)
                tx.apply()
            except self._retryable:
                _abandon(transaction)
            except BaseException:
                _abandon(transaction)
                raise
            else:
                try:
                    transaction._commit()
                    return result
                except self._retryable:
                    transaction._clean_up()  # the server ended it: nothing to roll back
            pause = random.uniform(0, ceiling)
            ceiling = min(ceiling * 2, self.max_backoff_s)
            if time.monotonic() + pause >= deadline:
                break
            time.sleep(pause)
        raise Contention("too many concurrent changes to the same records; retry shortly",
                         code="contention", retry_after_s=1)

    # -- reads outside transactions --------------------------------------------------------
    def _owned(self, collection: str, document_id: str, organization_id: str) -> dict | None:
        if reserved_id(document_id):
            return None
        snapshot = self._collection(collection).document(document_id).get()
        found = snapshot.to_dict() if snapshot.exists else None
        return found if found is not None and found.get("organization_id") == organization_id else None

    def get_item(self, organization_id: str, item_id: str) -> InventoryItem | None:
        found = self._owned("items", item_id, organization_id)
        return item_from_document(found) if found else None

    def get_location(self, organization_id: str, location_id: str) -> Location | None:
        found = self._owned("locations", location_id, organization_id)
        return location_from_document(found) if found else None

    def find_location_by_code(self, organization_id: str, code: str) -> Location | None:
        marker = self._owned("location_codes", location_code_document_id(organization_id, code),
                             organization_id)
        return self.get_location(organization_id, marker["location_id"]) if marker else None

    def _items_query(self, organization_id: str, item_filter: ItemFilter):
        query = (self._collection("items").where("organization_id", "==", organization_id)
                 .where("archived_at", "==", None))
        for field in ("location_id", "category", "sku", "product_id"):
            value = getattr(item_filter, field)
            if value is not None:
                query = query.where(field, "==", value)
        if item_filter.room_type is not None:
            query = query.where("room_type", "==", RoomType(item_filter.room_type).value)
        if item_filter.low_stock is not None:
            query = query.where("low_stock", "==", int(item_filter.low_stock))
        if item_filter.updated_after is not None:
            query = query.where("updated_at", ">", format_instant(item_filter.updated_after))
        return query

    def list_items(self, organization_id: str, item_filter: ItemFilter, page: int,
                   limit: int, cursor: str | None = None) -> Page[InventoryItem]:
        ordered = self._items_query(organization_id, item_filter).order_by("id")
        # Counted in the list's own order: with updated_after, the count alone would order by
        # updated_at and need indexes of its own (tests/cloud/test_firestore_indexes.py).
        total = int(ordered.count().get()[0][0].value)
        if cursor is None:
            # The seed's page numbers are offsets, which Firestore bills as reads (page p reads
            # p × limit items); the cursor below reads only the page.
            rows = ordered.offset((page - 1) * limit).limit(limit).get()
            more = (page - 1) * limit + len(rows) < total
        else:
            # A cursor on the order field: the same indexes serve it as serve the first page.
            rows = ordered.start_after({"id": cursors.read_after_id(cursor)}).limit(limit + 1).get()
            more, rows = len(rows) > limit, rows[:limit]
        items = [item_from_document(r.to_dict()) for r in rows]
        return Page(items, total, cursors.write_after_id(items[-1].id) if more and items else None)

    def items_by_update(self, organization_id: str, item_filter: ItemFilter,
                        after: tuple[str, str] | None, limit: int) -> Sequence[InventoryItem]:
        query = (self._items_query(organization_id, item_filter)
                 .order_by("updated_at", direction="DESCENDING").order_by("id", direction="DESCENDING"))
        if after is not None:
            query = query.start_after({"updated_at": after[0], "id": after[1]})
        return [item_from_document(r.to_dict()) for r in query.limit(limit).get()]

    def list_changes(self, organization_id: str, item_id: str, cursor: str | None,
                     limit: int) -> Slice[LedgerEntry]:
        query = (self._collection("items").document(item_id).collection("ledger")
                 .order_by("occurred_at", direction="DESCENDING")
                 .order_by("item_version", direction="DESCENDING"))
        if cursor:  # the entries before the cursor's in effective order (occurred_at, item_version)
            occurred_at, version = cursors.read_effective(cursor, "at-v")
            query = query.start_after({"occurred_at": occurred_at, "item_version": version})
        rows = [r.to_dict() for r in query.limit(limit + 1).get()]
        rows = [r for r in rows if r["organization_id"] == organization_id]
        more = len(rows) > limit
        entries = [ledger_entry(r) for r in rows[:limit]]
        return Slice(entries, cursors.write_effective(
            "at-v", format_instant(entries[-1].occurred_at), entries[-1].item_version) if more else None)

    def get_ledger_entry(self, organization_id: str, entry_id: str) -> LedgerEntry | None:
        """A collection-group query on `id` (infra/firestore.tf gives `ledger.id` that scope)."""
        rows = [r.to_dict() for r in self.client.collection_group("ledger")
                .where("id", "==", entry_id).limit(5).get()]
        owned = [r for r in rows if r["organization_id"] == organization_id]
        return ledger_entry(owned[0]) if owned else None

    def transfer_entries(self, organization_id: str, transfer_id: str) -> list[LedgerEntry]:
        """A collection-group query on `transfer_id` (infra/firestore.tf gives `ledger.transfer_id`
        that scope); a transfer has two entries."""
        rows = [r.to_dict() for r in self.client.collection_group("ledger")
                .where("transfer_id", "==", transfer_id).limit(5).get()]
        return sorted((ledger_entry(r) for r in rows if r["organization_id"] == organization_id),
                      key=lambda entry: (entry.quantity_change > 0, entry.id))

    def ledger_by_time(self, organization_id: str, item_id: str, after: tuple[str, str] | None,
                       limit: int, newest_first: bool = False) -> Sequence[LedgerEntry]:
        """One query on the item's ledger, ordered by (occurred_at, id), from after the key."""
        direction = "DESCENDING" if newest_first else "ASCENDING"
        query = (self._collection("items").document(item_id).collection("ledger")
                 .order_by("occurred_at", direction=direction).order_by("id", direction=direction))
        if after is not None:
            query = query.start_after({"occurred_at": after[0], "id": after[1]})
        rows = [r.to_dict() for r in query.limit(limit).get()]
        return [ledger_entry(r) for r in rows if r["organization_id"] == organization_id]

    def snapshot(self, organization_id: str, location_id: str, at: datetime,
                 room_type: RoomType | None, category: str | None, after: str | None,
                 limit: int, totals: SnapshotTotals | None = None) -> SnapshotPage:
        """Per item its last ledger entry at or before `at` (a limit-1 query), so reads grow with
        the items, not with their history. A first page (no `totals`) reads every item of the
        location for the totals; a later one reads only its items, and one more to know if
        more follow."""
        query = (self._collection("items").where("organization_id", "==", organization_id)
                 .where("location_id", "==", location_id))
        if room_type is not None:
            query = query.where("room_type", "==", RoomType(room_type).value)
        if category is not None:
            query = query.where("category", "==", category)
        query = query.order_by("id")
        if totals is None:
            return self._snapshot_with_totals(query, at, after, limit)
        lines: list[SnapshotLine] = []
        while True:  # until limit + 1 items existed at `at`, or the location runs out
            batch = query.start_after({"id": after}) if after else query
            wanted = limit + 1 - len(lines)
            documents = list(batch.limit(wanted).get())
            for document in documents:
                item = item_from_document(document.to_dict())
                after = item.id
                if not existed_at(item, at):
                    continue
                if len(lines) == limit:
                    return SnapshotPage(lines, totals, last_id=lines[-1].item.id)
                lines.append(_line_then(item, document, at))
            if len(documents) < wanted:
                return SnapshotPage(lines, totals)

    def _snapshot_with_totals(self, query, at: datetime, after: str | None,
                              limit: int) -> SnapshotPage:
        totals, lines, more = SnapshotTotals(), [], False
        for document in query.stream():
            item = item_from_document(document.to_dict())
            if not existed_at(item, at):
                continue
            line = _line_then(item, document, at)
            totals.add(line.quantity, item.unit_cost,
                       line.entry.revised_after(at) if line.entry else None)
            if after is None or item.id > after:
                if len(lines) < limit:
                    lines.append(line)
                else:
                    more = True
        return SnapshotPage(lines, totals, last_id=lines[-1].item.id if more else None)

    def active_places(self, organization_id: str, location_id: str) -> list[tuple[RoomType, str]]:
        # One query (one consistent read), fetching only the two fields: a read per item.
        query = (self._collection("items").where("organization_id", "==", organization_id)
                 .where("location_id", "==", location_id).where("archived_at", "==", None)
                 .select(["room_type", "sku"]))
        return [(RoomType(found["room_type"]), found["sku"])
                for found in (document.to_dict() for document in query.stream())]

    def list_stock_rows(self, organization_id: str) -> Sequence[StockRow]:
        rows = self._collection("stock_rows").where("organization_id", "==", organization_id).get()
        found = [StockRow(**row.to_dict()) for row in rows]
        return sorted(found, key=lambda row: (row.date, row.location_id, row.product_id))

    def stock_rows_page(self, organization_id: str, order: str, descending: bool,
                        after: tuple[str, str, str] | None, offset: int,
                        limit: int) -> Sequence[StockRow]:
        """One query in the order's index; `offset` bills the rows it skips, `after` none."""
        fields = STOCK_ROW_ORDERS[order]
        query = self._collection("stock_rows").where("organization_id", "==", organization_id)
        for field in fields:
            query = query.order_by(field, direction="DESCENDING" if descending else "ASCENDING")
        if after is not None:
            query = query.start_after(dict(zip(fields, after)))
        elif offset:
            query = query.offset(offset)
        return [StockRow(**row.to_dict()) for row in query.limit(limit).get()]

    def stock_row_count(self, organization_id: str) -> int:
        query = self._collection("stock_rows").where("organization_id", "==", organization_id)
        return int(query.count().get()[0][0].value)

    def get_stock_row(self, organization_id: str, location_id: str, product_id: str,
                      date: str) -> StockRow | None:
        found = self._owned("stock_rows", digest(organization_id, location_id, product_id, date),
                            organization_id)
        return StockRow(**found) if found else None

    def list_locations(self, organization_id: str) -> Sequence[Location]:
        rows = self._collection("locations").where("organization_id", "==", organization_id).get()
        return sorted((location_from_document(r.to_dict()) for r in rows), key=lambda l: l.id)

    # -- events ----------------------------------------------------------------------------
    def pending_events(self, limit: int) -> Sequence[Event]:
        """Unpublished events in commit order: those that still hold a relay shard."""
        rows = (self._collection("events").where("relay_shard", "in", list(range(RELAY_SHARDS)))
                .order_by("sequence").limit(limit).get())
        return [from_row(Event, r.to_dict()) for r in rows]

    def mark_published(self, event_ids: Sequence[str], at: datetime) -> None:
        from google.cloud.firestore import DELETE_FIELD
        batch = self.client.batch()
        for event_id in event_ids:
            batch.update(self._collection("events").document(event_id),
                         {"published_at": format_instant(at), "relay_shard": DELETE_FIELD})
        batch.commit()

    def events_not_fanned_out(self, published_before: datetime, limit: int) -> Sequence[Event]:
        """Published events that still hold a fan-out shard, published before the bound."""
        rows = (self._collection("events").where("fan_out_shard", "in", list(range(RELAY_SHARDS)))
                .where("published_at", "<", format_instant(published_before))
                .order_by("published_at").limit(limit).get())
        return [from_row(Event, r.to_dict()) for r in rows]

    def get_event(self, organization_id: str, event_id: str) -> Event | None:
        found = self._owned("events", event_id, organization_id)
        return from_row(Event, found) if found else None

    def list_events(self, organization_id: str, after: str | None, types: Sequence[str],
                    limit: int) -> Slice[Event]:
        """Events by `sequence` (instant, then id). Firestore has no commit counter without a
        per-organization hot document, so the feed holds back events younger than
        `feed_settle` (default 5 s): a transaction still committing with an earlier instant
        then cannot slip in behind a consumer's cursor. The cursor holds a sequence, or
        nothing: the start of the feed."""
        query = self._collection("events").where("organization_id", "==", organization_id)
        if types:
            query = query.where("type", "in", list(types))
        start = cursors.read(after, "feed", "after", _is_feed_position) if after else ""
        if start:
            query = query.where("sequence", ">", start)
        horizon = format_instant(datetime.now().astimezone() - self.feed_settle) + "|"
        query = query.where("sequence", "<", horizon)
        rows = [r.to_dict() for r in query.order_by("sequence").limit(limit).get()]
        last = rows[-1]["sequence"] if rows else start
        return Slice([from_row(Event, r) for r in rows], cursors.write("feed", last))

    # -- webhooks --------------------------------------------------------------------------
    def list_subscriptions(self, organization_id: str) -> Sequence[WebhookSubscription]:
        rows = (self._collection("webhook_subscriptions")
                .where("organization_id", "==", organization_id).where("deleted_at", "==", None).get())
        return sorted((subscription_from_document(self._sealed, r.to_dict()) for r in rows),
                      key=lambda s: s.id)

    def get_subscription(self, organization_id: str, subscription_id: str) -> WebhookSubscription | None:
        found = self._owned("webhook_subscriptions", subscription_id, organization_id)
        return subscription_from_document(self._sealed, found) if found else None

    def list_deliveries(self, organization_id: str, subscription_id: str, cursor: str | None,
                        limit: int) -> Slice[Delivery]:
        query = (self._collection("deliveries").where("organization_id", "==", organization_id)
                 .where("subscription_id", "==", subscription_id)
                 .order_by("created_at", direction="DESCENDING")
                 .order_by("id", direction="DESCENDING"))
        if cursor:
            created_at, delivery_id = cursors.read_moment(cursor, "log")
            query = query.start_after({"created_at": created_at, "id": delivery_id})
        rows = [from_row(Delivery, r.to_dict()) for r in query.limit(limit + 1).get()]
        last = rows[limit - 1] if len(rows) > limit else None
        return Slice(rows[:limit], cursors.write_moment("log", format_instant(last.created_at), last.id)
                     if last else None)

    def due_deliveries(self, now: datetime, limit: int,
                       skip_subscriptions: Collection[str] = ()) -> Sequence[Delivery]:
        """Retries first (by next attempt time, then id), then those never tried (by id); a
        query cannot also filter the lease or the skipped subscriptions, so those are read and
        passed over."""
        pending = self._collection("deliveries").where("state", "==", "pending")
        due = _unheld(pending.where("next_attempt_at", "<=", format_instant(now))
                      .order_by("next_attempt_at"), now, limit, skip_subscriptions)
        if len(due) < limit:
            due += _unheld(pending.where("next_attempt_at", "==", None), now, limit - len(due),
                           skip_subscriptions)
        return due

    # -- sync ------------------------------------------------------------------------------
    def pos_connections(self) -> Sequence[PosConnection]:
        found = [self._sealed.from_row(PosConnection, r.to_dict())
                 for r in self._collection("pos_connections").stream()]
        return sorted(found, key=lambda c: (c.organization_id, c.location_id))

    def get_pos_connection(self, organization_id: str, location_id: str) -> PosConnection | None:
        found = self._owned("pos_connections", digest(organization_id, location_id), organization_id)
        return self._sealed.from_row(PosConnection, found) if found else None

    def get_sync_run(self, organization_id: str, sync_id: str) -> SyncRun | None:
        found = self._owned("sync_runs", sync_id, organization_id)
        return sync_run(found) if found else None

    def queued_sync_runs(self, limit: int) -> Sequence[SyncRun]:
        return self._sync_runs_in("queued", limit)

    def running_sync_runs(self, limit: int) -> Sequence[SyncRun]:
        return self._sync_runs_in("running", limit)

    def _sync_runs_in(self, status: str, limit: int) -> Sequence[SyncRun]:
        rows = (self._collection("sync_runs").where("status", "==", status)
                .order_by("created_at").limit(limit).get())
        return [sync_run(r.to_dict()) for r in rows]

    def last_sync_watermark(self, organization_id: str, location_id: str) -> str | None:
        """The successful runs newest first (ties by id, as Firestore orders them), read one,
        then in pages, until one holds a watermark: usually the first does."""
        query = (self._collection("sync_runs").where("organization_id", "==", organization_id)
                 .where("location_id", "==", location_id).where("status", "==", "succeeded")
                 .order_by("finished_at", direction="DESCENDING").select(["watermark", "finished_at"]))
        size, after = 1, None
        while True:
            documents = list((query.start_after(after) if after else query).limit(size).get())
            marks = (d.to_dict().get("watermark") for d in documents)
            mark = next((m for m in marks if m is not None), None)
            if mark is not None or len(documents) < size:
                return mark
            size, after = _WATERMARK_PAGE, documents[-1]

    def delete_expired_idempotency(self, now: datetime) -> int:
        """None here: the TTL policy on `idempotency.expires_at` (infra/firestore.tf) deletes
        expired records, without a query or an index on the field (the emulator deletes none)."""
        return 0

    # -- secrets ---------------------------------------------------------------------------
    def reencrypt_secrets(self) -> int:
        """Each document whose secret is not sealed under the current key is sealed again in a
        transaction of its own (read again inside it, so a secret rotated meanwhile is kept).
        Replay records kept per organization by older versions, never read now and possibly
        holding a webhook secret in clear, are deleted."""
        rewritten = 0
        legacy = [document.reference for document in
                  self._collection("idempotency").select(["api_key_id"]).stream()
                  if "api_key_id" not in document.to_dict()]
        for start in range(0, len(legacy), 400):
            batch = self.client.batch()
            for reference in legacy[start:start + 400]:
                batch.delete(reference)
            batch.commit()
        for collection, model in (("webhook_subscriptions", WebhookSubscription),
                                  ("pos_connections", PosConnection),
                                  ("idempotency", IdempotencyRecord)):
            spec = SEALED[model]
            query = self._collection(collection)
            if spec.only_if:
                query = query.where(spec.only_if, "==", True)
            for document in query.stream():
                if self._sealed.resealed(model, document.to_dict()) is not None:
                    rewritten += self._reseal(document.reference, model)
        return rewritten

    def _reseal(self, reference, model) -> int:
        from google.cloud import firestore

        @firestore.transactional
        def attempt(transaction) -> int:
            found = reference.get(transaction=transaction)
            resealed = self._sealed.resealed(model, found.to_dict()) if found.exists else None
            if resealed is None:
                return 0
            field, value = resealed
            transaction.update(reference, {field: value})
            return 1

        return attempt(self.client.transaction())

    # -- keys and organizations ------------------------------------------------------------
    def find_api_key(self, key_hash: str) -> ApiKey | None:
        snapshot = self._collection("api_keys").document(key_hash).get()
        return from_row(ApiKey, snapshot.to_dict()) if snapshot.exists else None

    def get_organization(self, organization_id: str) -> Organization | None:
        snapshot = self._collection("organizations").document(organization_id).get()
        if not snapshot.exists:
            return None
        # Organizations written before the setting existed do not hold it: the default then.
        return from_row(Organization, {"require_idempotency_key": False,
                                       "backdating_window_days": 35, **snapshot.to_dict()})

    def save_organization(self, organization: Organization) -> None:
        self._collection("organizations").document(organization.id).set(to_row(organization))

    def save_api_key(self, key: ApiKey) -> None:
        self._collection("api_keys").document(key.key_hash).set(to_row(key))


def _abandon(transaction) -> None:
    """Roll back an attempt that failed before its commit, releasing its locks."""
    if transaction.in_progress:
        with contextlib.suppress(Exception):  # the failure being handled is the one to report
            transaction._rollback()


def _line_then(item: InventoryItem, document, at: datetime) -> SnapshotLine:
    """The item at `at`: the quantity after its last ledger entry at or before then, and that
    entry; 0 and none before any."""
    last = list(document.reference.collection("ledger")
                .where("occurred_at", "<=", format_instant(at))
                .order_by("occurred_at", direction="DESCENDING")
                .order_by("item_version", direction="DESCENDING").limit(1).get())
    if not last:
        return SnapshotLine(item, Decimal(0))
    entry = ledger_entry(last[0].to_dict())
    return SnapshotLine(item, entry.quantity_after, SettingEntry.of(entry))


def _is_feed_position(value: str) -> bool:
    return value == "" or cursors.is_moment(value)


def _unheld(query, now: datetime, wanted: int,
            skip_subscriptions: Collection[str] = ()) -> list[Delivery]:
    """Up to `wanted` of the query's deliveries that are due, that no worker holds and that are
    of none of `skip_subscriptions`, in its order, reading on past the others."""
    found: list[Delivery] = []
    after = None
    while True:
        documents = list((query.start_after(after) if after else query).limit(wanted).get())
        for document in documents:
            delivery = from_row(Delivery, document.to_dict())
            if delivery.is_due(now) and delivery.subscription_id not in skip_subscriptions:
                found.append(delivery)
                if len(found) == wanted:
                    return found
        if len(documents) < wanted:
            return found
        after = documents[-1]
