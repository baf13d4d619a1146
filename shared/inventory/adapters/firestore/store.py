"""FirestoreStore: the InventoryStore port over Google Cloud Firestore.

Layout (top-level collections; each document also holds `organization_id`, which every read
checks):
  items/{id}, items/{id}/ledger/{change id}, item_places/{hash of org, location, room, sku},
  locations/{id}, events/{id}, idempotency/{hash of org, API key id, key}, webhook_subscriptions/{id},
  deliveries/{id}, pos_connections/{hash of org, location}, sync_locks/{same}, sync_runs/{id},
  organizations/{id}, api_keys/{sha-256 of the key}.
Values are stored as the SQLite store stores them (adapters/records.py): quantities and money as
scaled integers, instants as fixed-width UTC text, so no float ever holds a quantity, and secrets
(a subscription's or POS connection's `secret`, a replay `body` that holds one) sealed by the box.
The composite indexes these queries need are declared in infra/firestore.tf.
"""
from __future__ import annotations

import base64
import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Callable, Sequence, TypeVar

from ...domain.codes import RoomType
from ...domain.errors import InvalidInput
from ...domain.models import (ApiKey, Event, IdempotencyRecord, InventoryItem, LedgerEntry,
                              Location, Organization)
from ...domain.snapshot import SnapshotLine, SnapshotPage, SnapshotTotals
from ...domain.sync import PosConnection, SyncRun
from ...domain.time import format_instant
from ...domain.webhooks import Delivery, WebhookSubscription
from ...service.ports import ItemFilter, Page, SecretBox, Slice
from .. import item_cursor, position_cursor
from ..records import SEALED, SealedRecords, from_row, to_row
from ..secret_box import NO_SECRET_BOX
from .transaction import FirestoreTransaction, digest

T = TypeVar("T")


class FirestoreStore:
    def __init__(self, project: str, database: str = "(default)", feed_settle_s: float = 5.0,
                 max_attempts: int = 40, max_backoff_s: float = 2.0,
                 secret_box: SecretBox = NO_SECRET_BOX):
        from google.api_core import exceptions
        from google.cloud import firestore

        self._firestore = firestore
        self._retryable = (exceptions.Aborted, exceptions.DeadlineExceeded,
                           exceptions.ServiceUnavailable)
        self.client = firestore.Client(project=project, database=database)
        self.feed_settle = timedelta(seconds=feed_settle_s)
        self.max_attempts = max_attempts
        self.max_backoff_s = max_backoff_s
        self._sealed = SealedRecords(secret_box)

    def _collection(self, name: str):
        return self.client.collection(name)

    # -- transactions ------------------------------------------------------------------------
    def transact(self, work: Callable[[FirestoreTransaction], T]) -> T:
        """Run `work` in a Firestore transaction; on contention run it again after a backoff with
        full jitter (growing to `max_backoff_s`), so that a hot item's writers spread out and
        serialize instead of colliding again in step."""
        ceiling = 0.05
        for attempt in range(self.max_attempts):
            try:
                return self._run(work)
            except self._retryable:
                pass
            except ValueError as error:  # the client's "failed to commit in N attempts"
                if "attempts" not in str(error):
                    raise
            if attempt == self.max_attempts - 1:
                raise
            time.sleep(random.uniform(0, ceiling))
            ceiling = min(ceiling * 2, self.max_backoff_s)
        raise AssertionError("unreachable")

    def _run(self, work: Callable[[FirestoreTransaction], T]) -> T:
        @self._firestore.transactional
        def attempt(transaction):
            tx = FirestoreTransaction(self.client, transaction, self._sealed)
            result = work(tx)
            tx.apply()
            return result

        # One attempt per call: retrying at once, as the client would, collides again.
        return attempt(self.client.transaction(max_attempts=1))

    # -- reads outside transactions --------------------------------------------------------
    def _owned(self, collection: str, document_id: str, organization_id: str) -> dict | None:
        snapshot = self._collection(collection).document(document_id).get()
        found = snapshot.to_dict() if snapshot.exists else None
        return found if found is not None and found.get("organization_id") == organization_id else None

    def get_item(self, organization_id: str, item_id: str) -> InventoryItem | None:
        found = self._owned("items", item_id, organization_id)
        return from_row(InventoryItem, found) if found else None

    def get_location(self, organization_id: str, location_id: str) -> Location | None:
        found = self._owned("locations", location_id, organization_id)
        return from_row(Location, found) if found else None

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
        query = self._items_query(organization_id, item_filter)
        total = int(query.count().get()[0][0].value)
        ordered = query.order_by("id")
        if cursor is None:
            # The seed's page numbers are offsets, which Firestore bills as reads (page p reads
            # p × limit items); the cursor below reads only the page.
            rows = ordered.offset((page - 1) * limit).limit(limit).get()
            more = (page - 1) * limit + len(rows) < total
        else:
            # A cursor on the order field: the same indexes serve it as serve the first page.
            rows = ordered.start_after({"id": item_cursor.read(cursor)}).limit(limit + 1).get()
            more, rows = len(rows) > limit, rows[:limit]
        items = [from_row(InventoryItem, r.to_dict()) for r in rows]
        return Page(items, total, item_cursor.write(items[-1].id) if more and items else None)

    def list_changes(self, organization_id: str, item_id: str, cursor: str | None,
                     limit: int) -> Slice[LedgerEntry]:
        query = (self._collection("items").document(item_id).collection("ledger")
                 .order_by("item_version", direction="DESCENDING"))
        if cursor:
            query = query.where("item_version", "<", position_cursor.read(cursor, "v"))
        rows = [r.to_dict() for r in query.limit(limit + 1).get()]
        rows = [r for r in rows if r["organization_id"] == organization_id]
        more = len(rows) > limit
        entries = [from_row(LedgerEntry, r) for r in rows[:limit]]
        return Slice(entries, position_cursor.write("v", entries[-1].item_version) if more else None)

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
                item = from_row(InventoryItem, document.to_dict())
                after = item.id
                if not _existed(item, at):
                    continue
                if len(lines) == limit:
                    return SnapshotPage(lines, totals, last_id=lines[-1].item.id)
                lines.append(SnapshotLine(item, _quantity_then(document, at)))
            if len(documents) < wanted:
                return SnapshotPage(lines, totals)

    def _snapshot_with_totals(self, query, at: datetime, after: str | None,
                              limit: int) -> SnapshotPage:
        totals, lines, more = SnapshotTotals(), [], False
        for document in query.stream():
            item = from_row(InventoryItem, document.to_dict())
            if not _existed(item, at):
                continue
            quantity = _quantity_then(document, at)
            totals.add(quantity, item.unit_cost)
            if after is None or item.id > after:
                if len(lines) < limit:
                    lines.append(SnapshotLine(item, quantity))
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

    def list_locations(self, organization_id: str) -> Sequence[Location]:
        rows = self._collection("locations").where("organization_id", "==", organization_id).get()
        return sorted((from_row(Location, r.to_dict()) for r in rows), key=lambda l: l.id)

    # -- events ----------------------------------------------------------------------------
    def pending_events(self, limit: int) -> Sequence[Event]:
        rows = (self._collection("events").where("published_at", "==", None)
                .order_by("sequence").limit(limit).get())
        return [from_row(Event, r.to_dict()) for r in rows]

    def mark_published(self, event_ids: Sequence[str], at: datetime) -> None:
        batch = self.client.batch()
        for event_id in event_ids:
            batch.update(self._collection("events").document(event_id),
                         {"published_at": format_instant(at)})
        batch.commit()

    def get_event(self, organization_id: str, event_id: str) -> Event | None:
        found = self._owned("events", event_id, organization_id)
        return from_row(Event, found) if found else None

    def list_events(self, organization_id: str, after: str | None, types: Sequence[str],
                    limit: int) -> Slice[Event]:
        """Events by `sequence` (instant, then id). Firestore has no commit counter without a
        per-organization hot document, so the feed holds back events younger than
        `feed_settle` (default 5 s): a transaction still committing with an earlier instant
        then cannot slip in behind a consumer's cursor."""
        query = self._collection("events").where("organization_id", "==", organization_id)
        if types:
            query = query.where("type", "in", list(types))
        start = _decode_text(after, "after") if after else ""
        if start:
            query = query.where("sequence", ">", start)
        horizon = format_instant(datetime.now().astimezone() - self.feed_settle) + "|"
        query = query.where("sequence", "<", horizon)
        rows = [r.to_dict() for r in query.order_by("sequence").limit(limit).get()]
        last = rows[-1]["sequence"] if rows else start
        return Slice([from_row(Event, r) for r in rows], _encode_text(last) if last else None)

    # -- webhooks --------------------------------------------------------------------------
    def list_subscriptions(self, organization_id: str) -> Sequence[WebhookSubscription]:
        rows = (self._collection("webhook_subscriptions")
                .where("organization_id", "==", organization_id).where("deleted_at", "==", None).get())
        return sorted((self._sealed.from_row(WebhookSubscription, r.to_dict()) for r in rows),
                      key=lambda s: s.id)

    def get_subscription(self, organization_id: str, subscription_id: str) -> WebhookSubscription | None:
        found = self._owned("webhook_subscriptions", subscription_id, organization_id)
        return self._sealed.from_row(WebhookSubscription, found) if found else None

    def list_deliveries(self, organization_id: str, subscription_id: str, cursor: str | None,
                        limit: int) -> Slice[Delivery]:
        query = (self._collection("deliveries").where("organization_id", "==", organization_id)
                 .where("subscription_id", "==", subscription_id)
                 .order_by("created_at", direction="DESCENDING")
                 .order_by("id", direction="DESCENDING"))
        if cursor:
            created_at, _, delivery_id = _decode_text(cursor, "cursor").partition("|")
            query = query.start_after({"created_at": created_at, "id": delivery_id})
        rows = [from_row(Delivery, r.to_dict()) for r in query.limit(limit + 1).get()]
        more = len(rows) > limit
        last = rows[limit - 1] if more else None
        return Slice(rows[:limit], _encode_text(f"{to_row(last)['created_at']}|{last.id}") if last else None)

    def due_deliveries(self, now: datetime, limit: int) -> Sequence[Delivery]:
        pending = self._collection("deliveries").where("state", "==", "pending")
        stamp = format_instant(now)
        found = [r.to_dict() for r in pending.where("next_attempt_at", "==", None).limit(limit).get()]
        found += [r.to_dict() for r in pending.where("next_attempt_at", "<=", stamp)
                  .order_by("next_attempt_at").limit(limit).get()]
        due = [from_row(Delivery, r) for r in found]
        return [d for d in due if d.is_due(now)][:limit]

    # -- sync ------------------------------------------------------------------------------
    def pos_connections(self) -> Sequence[PosConnection]:
        return [self._sealed.from_row(PosConnection, r.to_dict())
                for r in self._collection("pos_connections").stream()]

    def get_pos_connection(self, organization_id: str, location_id: str) -> PosConnection | None:
        found = self._owned("pos_connections", digest(organization_id, location_id), organization_id)
        return self._sealed.from_row(PosConnection, found) if found else None

    def get_sync_run(self, organization_id: str, sync_id: str) -> SyncRun | None:
        found = self._owned("sync_runs", sync_id, organization_id)
        return from_row(SyncRun, found) if found else None

    def queued_sync_runs(self, limit: int) -> Sequence[SyncRun]:
        rows = (self._collection("sync_runs").where("status", "==", "queued")
                .order_by("created_at").limit(limit).get())
        return [from_row(SyncRun, r.to_dict()) for r in rows]

    def last_sync_watermark(self, organization_id: str, location_id: str) -> str | None:
        rows = (self._collection("sync_runs").where("organization_id", "==", organization_id)
                .where("location_id", "==", location_id).where("status", "==", "succeeded")
                .order_by("finished_at", direction="DESCENDING").limit(5).get())
        marks = [r.to_dict().get("watermark") for r in rows]
        return next((m for m in marks if m), None)

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
        @self._firestore.transactional
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
        return from_row(Organization, {"require_idempotency_key": False, **snapshot.to_dict()})

    def save_organization(self, organization: Organization) -> None:
        self._collection("organizations").document(organization.id).set(to_row(organization))

    def save_api_key(self, key: ApiKey) -> None:
        self._collection("api_keys").document(key.key_hash).set(to_row(key))


def _existed(item: InventoryItem, at: datetime) -> bool:
    """Whether a snapshot at `at` holds the item: created by then and not yet archived."""
    return item.created_at <= at and (item.archived_at is None or item.archived_at > at)


def _quantity_then(document, at: datetime) -> Decimal:
    """The item's quantity after its last ledger entry at or before `at`; 0 before any."""
    last = list(document.reference.collection("ledger")
                .where("occurred_at", "<=", format_instant(at))
                .order_by("occurred_at", direction="DESCENDING")
                .order_by("item_version", direction="DESCENDING").limit(1).get())
    return from_row(LedgerEntry, last[0].to_dict()).quantity_after if last else Decimal(0)


def _encode_text(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_text(cursor: str, field: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(f"{field} is not a cursor this API returned", field, "invalid_cursor") from None
