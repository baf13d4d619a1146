"""The Transaction port over one Firestore transaction.

Reads go to Firestore inside the transaction (so they take its locks); writes are buffered and
handed to the transaction only when the work is done, so no read ever follows a write and a
work function that Firestore runs again starts from nothing.
"""
from __future__ import annotations

import dataclasses
import hashlib
import zlib
from datetime import datetime, timedelta
from typing import Any, Collection, Iterable, Sequence

from ...domain.codes import RoomType
from ...domain.models import Event, IdempotencyRecord, InventoryItem, LedgerEntry, Location
from ...domain.sync import PosConnection, SyncRun
from ...domain.time import format_instant, parse_instant
from ...domain.webhooks import Delivery, WebhookFormat, WebhookSubscription
from ...service.ports import StockRow
from ..location_codes import CodeBook
from ..places import Move, Place, PlaceBook, place_of
from ..records import NO_SECRETS, SealedRecords, from_row, to_row


_DOCUMENTS_PER_GET = 300  # documents asked for in one BatchGetDocuments call


def reserved_id(document_id: str) -> bool:
    """Firestore reserves ids matching __.*__ (reading one is an error): no document has one."""
    return document_id.startswith("__") and document_id.endswith("__") and len(document_id) >= 4


def digest(*parts: str) -> str:
    """A document id for a compound or caller-chosen key."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def idempotency_document_id(organization_id: str, api_key_id: str, key: str) -> str:
    """A replay record's document: one per API key and Idempotency-Key (the `k` keeps these ids
    apart from those of the records kept per organization before)."""
    return digest("k", organization_id, api_key_id, key)


# Records written before replay records expired carry no `expires_at`: they expired 24 hours
# after they were written, as the service then ruled.
_LEGACY_REPLAY_WINDOW = timedelta(hours=24)


def idempotency_document(row: dict[str, Any], expires_at: datetime) -> dict[str, Any]:
    """A replay record's document: `expires_at` as a Firestore timestamp, which is what the TTL
    policy on it (infra/firestore.tf) deletes the document by."""
    return {**row, "expires_at": expires_at}


def idempotency_row(document: dict[str, Any]) -> dict[str, Any]:
    """The stored row of a replay record's document (adapters/records.py reads instants as text)."""
    expires_at = document.get("expires_at")
    if expires_at is None:
        expires_at = parse_instant(document["created_at"]) + _LEGACY_REPLAY_WINDOW
    return {**document, "expires_at": format_instant(expires_at)}


def place_document_id(place: Place) -> str:
    """The place's marker, item_places/{id}: names the place's active item, if any."""
    return digest(*place)


def location_code_document_id(organization_id: str, code: str) -> str:
    """The code's marker, location_codes/{id}: names the location that has the code, if any."""
    return digest("code", organization_id, code)


def item_from_document(document: dict[str, Any]) -> InventoryItem:
    """A stored item; one written before items had attributes has none."""
    if "attributes" not in document:
        document = {**document, "attributes": "{}"}
    return from_row(InventoryItem, document)


def location_from_document(document: dict[str, Any]) -> Location:
    """A stored location; one written before locations had codes has none, and one written
    before a location named its Square room keeps its counts on the sales floor."""
    return from_row(Location, {"code": None, "square_room_type": "sales_floor", **document})


def subscription_from_document(sealed: SealedRecords, document: dict[str, Any]) -> WebhookSubscription:
    """A stored webhook subscription, its secret opened; one written before subscriptions had
    formats is in the native one."""
    return sealed.from_row(WebhookSubscription, {"format": WebhookFormat.NATIVE.value, **document})


def sync_run(document: dict[str, Any]) -> SyncRun:
    """A stored run; one written before runs had leases has no `lease_until`."""
    return from_row(SyncRun, {"lease_until": None, **document})


# What re-deriving an entry rewrites (Transaction.rewrite_ledger).
REDERIVED_FIELDS = ("quantity_change", "quantity_before", "quantity_after", "revised_at",
                    "revised_by")


def ledger_entry(row: dict[str, Any]) -> LedgerEntry:
    """An entry as stored; one written before effective time was kept was recorded when it
    happened, and is no count; one written before revisions were kept was never revised."""
    if "recorded_at" not in row:
        row = {**row, "recorded_at": row["occurred_at"], "counted_quantity": None}
    if "revised_at" not in row:
        row = {**row, "revised_at": None, "revised_by": None}
    if "reference_id" not in row:  # written before the client's references were kept
        row = {**row, "reference_id": None, "team_member_id": None, "source_application": None}
    return from_row(LedgerEntry, row)


# The outbox relay's index (relay_shard, sequence) holds only unpublished events, split into
# shards by organization: its values grow with time, and Firestore takes about 500 writes/s into
# one growing range, so each shard is a range of its own (infra/README.md, "Write ceilings").
RELAY_SHARDS = 16


def relay_shard(organization_id: str) -> int:
    return zlib.crc32(organization_id.encode()) % RELAY_SHARDS


def event_document(event: Event) -> dict[str, Any]:
    # `sequence` orders the feed: the event's instant, then its id (see FirestoreStore.list_events).
    # `relay_shard` is removed when the event is published (FirestoreStore.mark_published) and
    # `fan_out_shard` when its deliveries are made (mark_fanned_out): each index holds only the
    # events still waiting, in one range per shard.
    row = to_row(event)
    shard = relay_shard(event.organization_id)
    return {**row, "sequence": f"{row['occurred_at']}|{event.id}", "published_at": None,
            "relay_shard": shard, "fan_out_shard": shard}


class FirestoreTransaction:
    def __init__(self, client: Any, transaction: Any, sealed: SealedRecords = NO_SECRETS):
        self._client = client
        self._tx = transaction
        self._sealed = sealed
        self.writes: list[tuple[Any, dict[str, Any] | None]] = []  # None: delete
        self.field_updates: list[tuple[Any, dict[str, Any]]] = []  # fields of existing documents
        # The items and place markers read here: which saved item takes or leaves its place.
        self._places = PlaceBook()
        self._codes = CodeBook()  # the location code markers read here

    # -- reads -----------------------------------------------------------------------------
    def _get(self, collection: str, document_id: str) -> dict[str, Any] | None:
        if reserved_id(document_id):
            return None
        snapshot = self._client.collection(collection).document(document_id).get(transaction=self._tx)
        return snapshot.to_dict() if snapshot.exists else None

    def _owned(self, collection: str, document_id: str, organization_id: str) -> dict | None:
        found = self._get(collection, document_id)
        return found if found is not None and found.get("organization_id") == organization_id else None

    def _item(self, found: dict[str, Any]) -> InventoryItem:
        item = item_from_document(found)
        self._places.read_item(item)
        return item

    def get_item(self, organization_id: str, item_id: str) -> InventoryItem | None:
        found = self._owned("items", item_id, organization_id)
        return self._item(found) if found else None

    def get_items(self, organization_id: str, item_ids: Collection[str]) -> dict[str, InventoryItem]:
        return {item_id: self._item(found)
                for item_id, found in self._get_all("items", dict.fromkeys(item_ids)).items()
                if found.get("organization_id") == organization_id}

    def find_active_item(self, organization_id: str, location_id: str, room_type: RoomType,
                         sku: str) -> InventoryItem | None:
        # A point read of the place's marker, not a query: it takes a lock even when the place
        # is empty, so two concurrent creates of one SKU in one place cannot both succeed.
        place = (organization_id, location_id, RoomType(room_type).value, sku)
        marker = self._get("item_places", place_document_id(place))
        holder = marker.get("item_id") if marker else None
        self._places.read_place(place, holder or None)
        return self.get_item(organization_id, holder) if holder else None

    def find_active_items(self, organization_id: str, location_id: str,
                          places: Collection[tuple[RoomType, str]],
                          ) -> dict[tuple[RoomType, str], InventoryItem]:
        # As find_active_item, batched: the places' markers in one get_all (each read takes its
        # lock, empty places too), then the items they name in another.
        wanted = {place_document_id((organization_id, location_id, RoomType(room_type).value, sku)):
                  (RoomType(room_type), sku) for room_type, sku in places}
        markers = self._get_all("item_places", wanted)
        item_places = {}
        for marker_id, (room_type, sku) in wanted.items():
            holder = markers.get(marker_id, {}).get("item_id") or None
            self._places.read_place((organization_id, location_id, room_type.value, sku), holder)
            if holder:
                item_places[holder] = (room_type, sku)
        return {item_places[item_id]: self._item(found)
                for item_id, found in self._get_all("items", item_places).items()
                if found.get("organization_id") == organization_id}

    def _get_all(self, collection: str, document_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The documents that exist among these, by id, read in the transaction."""
        references = [self._client.collection(collection).document(i) for i in document_ids]
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(references), _DOCUMENTS_PER_GET):
            for snapshot in self._client.get_all(references[start:start + _DOCUMENTS_PER_GET],
                                                 transaction=self._tx):
                if snapshot.exists:
                    found[snapshot.id] = snapshot.to_dict()
        return found

    def get_location(self, organization_id: str, location_id: str) -> Location | None:
        found = self._owned("locations", location_id, organization_id)
        if found is None:
            return None
        location = location_from_document(found)
        self._codes.read_location(location)
        return location

    def find_location_by_code(self, organization_id: str, code: str) -> Location | None:
        # A point read of the code's marker: it takes a lock even when no location has the code,
        # so two concurrent saves of one code cannot both succeed.
        marker = self._get("location_codes", location_code_document_id(organization_id, code))
        holder = (marker or {}).get("location_id") or None
        self._codes.read_code(organization_id, code, holder)
        return self.get_location(organization_id, holder) if holder else None

    def get_idempotency(self, organization_id: str, api_key_id: str,
                        key: str) -> IdempotencyRecord | None:
        found = self._get("idempotency", idempotency_document_id(organization_id, api_key_id, key))
        return self._sealed.from_row(IdempotencyRecord, idempotency_row(found)) if found else None

    def get_subscription(self, organization_id: str, subscription_id: str) -> WebhookSubscription | None:
        found = self._owned("webhook_subscriptions", subscription_id, organization_id)
        return subscription_from_document(self._sealed, found) if found else None

    def subscriptions_for(self, organization_id: str, event_type: str) -> list[WebhookSubscription]:
        query = (self._client.collection("webhook_subscriptions")
                 .where("organization_id", "==", organization_id).where("deleted_at", "==", None))
        found = [subscription_from_document(self._sealed, s.to_dict())
                 for s in query.get(transaction=self._tx)]
        return sorted((s for s in found if s.wants(event_type)), key=lambda s: s.id)

    def get_delivery(self, delivery_id: str) -> Delivery | None:
        found = self._get("deliveries", delivery_id)
        return from_row(Delivery, found) if found else None

    def get_pos_connection(self, organization_id: str, location_id: str) -> PosConnection | None:
        found = self._get("pos_connections", digest(organization_id, location_id))
        return self._sealed.from_row(PosConnection, found) if found else None

    def get_sync_run(self, sync_id: str) -> SyncRun | None:
        found = self._get("sync_runs", sync_id)
        return sync_run(found) if found else None

    def active_sync_run(self, organization_id: str, location_id: str) -> SyncRun | None:
        # The location's lock document names its active run; reading it locks it.
        lock = self._get("sync_locks", digest(organization_id, location_id))
        if lock is None or not lock.get("sync_id"):
            return None
        run = self.get_sync_run(lock["sync_id"])
        return run if run is not None and run.active else None

    def ledger_after(self, organization_id: str, item_id: str, at: datetime) -> list[LedgerEntry]:
        # One query on the item's ledger (the index on occurred_at, item_version of firestore.tf,
        # read backwards): its reads grow with the entries after `at`, never with older ones.
        query = (self._client.collection("items").document(item_id).collection("ledger")
                 .where("occurred_at", ">", format_instant(at))
                 .order_by("occurred_at").order_by("item_version"))
        rows = [d.to_dict() for d in self._tx.get(query)]
        return [ledger_entry(r) for r in rows if r["organization_id"] == organization_id]

    # -- writes (buffered) -----------------------------------------------------------------
    def _set(self, collection: str, document_id: str, data: dict[str, Any] | None) -> None:
        self.writes.append((self._client.collection(collection).document(document_id), data))

    def save_item(self, item: InventoryItem) -> None:
        move = self._places.save(item)  # refuses a new item on a place unread or held
        self._set("items", item.id, to_row(item))
        if move is not None:  # the marker follows: it names the place's active item, or none
            self._set("item_places", place_document_id(place_of(item)),
                      {"item_id": item.id if move is Move.TAKE else None})

    def confirm_synced(self, organization_id: str, item_ids: Collection[str], at: datetime) -> None:
        # One field of documents this transaction read (so they exist and are this organization's).
        for item_id in dict.fromkeys(item_ids):
            self.field_updates.append((self._client.collection("items").document(item_id),
                                       {"last_sync": format_instant(at)}))

    def save_location(self, location: Location) -> None:
        taken, left = self._codes.save(location)  # refuses a code unread or held
        org = location.organization_id
        self._set("locations", location.id, to_row(location))
        if left is not None:
            self._set("location_codes", location_code_document_id(org, left), None)
        if taken is not None:
            self._set("location_codes", location_code_document_id(org, taken),
                      {"organization_id": org, "location_id": location.id})

    def append_ledger(self, entry: LedgerEntry) -> None:
        self.writes.append((self._client.collection("items").document(entry.item_id)
                            .collection("ledger").document(entry.id), to_row(entry)))

    def rewrite_ledger(self, entries: Sequence[LedgerEntry]) -> None:
        for entry in entries:  # entries this transaction read (ledger_after)
            row = to_row(entry)
            self.field_updates.append((
                self._client.collection("items").document(entry.item_id).collection("ledger")
                .document(entry.id),
                {name: row[name] for name in REDERIVED_FIELDS}))

    def append_event(self, event: Event) -> None:
        self._set("events", event.id, event_document(event))

    def save_idempotency(self, record: IdempotencyRecord) -> None:
        self._set("idempotency", idempotency_document_id(record.organization_id, record.api_key_id,
                                                         record.key),
                  idempotency_document(self._sealed.to_row(record), record.expires_at))

    def save_subscription(self, subscription: WebhookSubscription) -> None:
        self._set("webhook_subscriptions", subscription.id, self._sealed.to_row(subscription))

    def save_delivery(self, delivery: Delivery) -> None:
        self._set("deliveries", delivery.id, to_row(delivery))

    def mark_fanned_out(self, event_ids: Sequence[str], at: datetime) -> None:
        from google.cloud.firestore import DELETE_FIELD
        for event_id in dict.fromkeys(event_ids):
            self.field_updates.append((self._client.collection("events").document(event_id),
                                       {"fan_out_shard": DELETE_FIELD, "fanned_out_at": format_instant(at)}))

    def save_pos_connection(self, connection: PosConnection) -> None:
        self._set("pos_connections", digest(connection.organization_id, connection.location_id),
                  self._sealed.to_row(connection))

    def get_stock_rows(self, organization_id: str,
                       keys: Collection[tuple[str, str, str]]) -> dict[tuple[str, str, str], StockRow]:
        wanted = {digest(organization_id, *key): key for key in keys}
        return {wanted[document_id]: StockRow(**found)
                for document_id, found in self._get_all("stock_rows", wanted).items()}

    def save_stock_row(self, row: StockRow) -> None:
        self._set("stock_rows", digest(row.organization_id, *row.key), dataclasses.asdict(row))

    def save_sync_run(self, run: SyncRun) -> None:
        self._set("sync_runs", run.id, to_row(run))
        self._set("sync_locks", digest(run.organization_id, run.location_id),
                  {"sync_id": run.id if run.active else None})

    def apply(self) -> None:
        for reference, data in self.writes:
            if data is None:
                self._tx.delete(reference)
            else:
                self._tx.set(reference, data)
        for reference, fields in self.field_updates:
            self._tx.update(reference, fields)
