"""What the service needs from the outside world, as protocols the adapters implement."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Collection, Generic, Protocol, Sequence, TypeVar

if TYPE_CHECKING:  # names for annotations only: every function imports this module at cold start
    from ..domain.codes import RoomType
    from ..domain.models import (ApiKey, Event, IdempotencyRecord, InventoryItem, LedgerEntry,
                                 Location, Organization)
    from ..domain.snapshot import SnapshotPage, SnapshotTotals
    from ..domain.sync import PosConnection, SyncRun
    from ..domain.webhooks import Delivery, WebhookSubscription

T = TypeVar("T")


@dataclass(frozen=True)
class ItemFilter:
    location_id: str | None = None
    room_type: RoomType | None = None
    category: str | None = None
    low_stock: bool | None = None
    updated_after: datetime | None = None
    sku: str | None = None          # exact match
    product_id: str | None = None   # exact match


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of a filtered list, the `total` it is part of, and a cursor to the page after
    (None on the last one)."""

    items: Sequence[T]
    total: int
    next_cursor: str | None = None


@dataclass(frozen=True)
class Slice(Generic[T]):
    """A cursor-paginated slice; `next_cursor` is None on the last one (except the event feed's,
    which always has one)."""

    items: Sequence[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class StockRow:
    """A dated stock row as an uploader posted it (the Datawiz dialect's collection): the count
    of a product at a location at the end of `date`; the latest per (location, product, date).
    Decimals and dates as the canonical text the dialect wrote, so every store keeps them exactly."""

    organization_id: str
    location_id: str
    product_id: str
    date: str                  # YYYY-MM-DD
    qty: str                   # decimal text
    original_price: str | None  # decimal text
    recorded_at: str           # fixed-width UTC instant text

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.location_id, self.product_id, self.date)


# The orders a page of stock rows comes in: each a key of three of its fields (unique per row).
STOCK_ROW_ORDERS: dict[str, tuple[str, str, str]] = {
    "date": ("date", "location_id", "product_id"),
    "product": ("product_id", "location_id", "date"),
}


class PlaceNotRead(RuntimeError):
    """A new item was saved without its place having been read in the same transaction: a bug
    of the caller, since that read is what keeps a concurrent create of the place out."""


class LocationCodeNotRead(RuntimeError):
    """A location was saved with a code without the code having been read in the same transaction
    (find_location_by_code): a bug of the caller, as PlaceNotRead is."""


class Transaction(Protocol):
    """One unit of work. Reads come before writes; nothing is visible to others until commit.

    A store may run the work function more than once (Firestore retries on contention),
    so the function must do nothing outside the transaction it is handed.

    One active item per place (organization, location, room type, SKU): an item takes its place
    when it is saved active by a transaction that did not read it as active (a new item), and
    leaves it when it is saved archived; an item's place never changes. Every store refuses
    alike (tests/store/test_store_places.py).
    """

    def get_item(self, organization_id: str, item_id: str) -> InventoryItem | None: ...
    def get_items(self, organization_id: str, item_ids: Collection[str]) -> dict[str, InventoryItem]:
        """The organization's items among these ids (archived too), by id, in one batched read;
        ids it does not own are left out. Reads like get_item (same locks)."""
        ...
    def find_active_item(self, organization_id: str, location_id: str, room_type: RoomType,
                         sku: str) -> InventoryItem | None:
        """The place's active item. Reading a place, empty or not, is what lets this transaction
        save a new item there: the read locks the place against a concurrent create."""
        ...
    def find_active_items(self, organization_id: str, location_id: str,
                          places: Collection[tuple[RoomType, str]],
                          ) -> dict[tuple[RoomType, str], InventoryItem]:
        """The location's active items at the given (room type, sku) places, in one batched
        read; places with no active item are left out. Reads like find_active_item, so a
        place that is empty now stays locked against a concurrent create where the store locks."""
        ...
    def get_location(self, organization_id: str, location_id: str) -> Location | None: ...
    def find_location_by_code(self, organization_id: str, code: str) -> Location | None:
        """The organization's location with this code. Reading a code, held or not, is what lets
        this transaction save a location with it: the read locks the code against a concurrent
        save where the store locks."""
        ...
    def get_idempotency(self, organization_id: str, api_key_id: str,
                        key: str) -> IdempotencyRecord | None:
        """The record of the request this API key made with this Idempotency-Key."""
        ...

    def save_item(self, item: InventoryItem) -> None:
        """Write the item. One that takes its place (see the class) needs that place read in this
        transaction (PlaceNotRead otherwise) and found empty or holding this very item (Conflict
        `duplicate_item` otherwise, and the transaction writes nothing)."""
        ...
    def confirm_synced(self, organization_id: str, item_ids: Collection[str], at: datetime) -> None:
        """Set these items' last_sync to `at` and nothing else: a POS sync confirmed their
        counts (no new version, no ledger entry). Items this transaction read."""
        ...
    def save_location(self, location: Location) -> None:
        """Write the location. A code it takes (new, or another than the one this transaction
        read it with) needs that code read here (LocationCodeNotRead otherwise) and found free or
        held by this location (Conflict `duplicate_location_code` otherwise, nothing written);
        a code it leaves is free for others. A location's code is unique in its organization."""
        ...
    def append_ledger(self, entry: LedgerEntry) -> None: ...
    def ledger_after(self, organization_id: str, item_id: str, at: datetime) -> Sequence[LedgerEntry]:
        """The item's entries that happened after `at`, in effective order (occurred_at, then
        recording order), read in one query: as many reads as there are such entries."""
        ...
    def rewrite_ledger(self, entries: Sequence[LedgerEntry]) -> None:
        """Write the re-derived quantity_before, quantity_after and quantity_change, and the
        revised_at and revised_by, of entries this transaction read with ledger_after (nothing
        else of an entry ever changes)."""
        ...
    def append_event(self, event: Event) -> None: ...
    def save_idempotency(self, record: IdempotencyRecord) -> None: ...

    def get_subscription(self, organization_id: str, subscription_id: str) -> WebhookSubscription | None: ...
    def subscriptions_for(self, organization_id: str, event_type: str) -> Sequence[WebhookSubscription]: ...
    def get_delivery(self, delivery_id: str) -> Delivery | None: ...
    def save_subscription(self, subscription: WebhookSubscription) -> None: ...
    def save_delivery(self, delivery: Delivery) -> None: ...
    def mark_fanned_out(self, event_ids: Sequence[str], at: datetime) -> None:
        """These events' deliveries are made: the fan-out sweep passes them over."""
        ...

    def get_pos_connection(self, organization_id: str, location_id: str) -> PosConnection | None: ...
    def get_sync_run(self, sync_id: str) -> SyncRun | None: ...
    def active_sync_run(self, organization_id: str, location_id: str) -> SyncRun | None: ...
    def save_pos_connection(self, connection: PosConnection) -> None: ...
    def save_sync_run(self, run: SyncRun) -> None: ...
    def get_stock_rows(self, organization_id: str,
                       keys: Collection[tuple[str, str, str]]) -> dict[tuple[str, str, str], StockRow]:
        """The organization's kept stock rows among these keys (location, product, date), by
        key, in one batched read."""
        ...
    def save_stock_row(self, row: StockRow) -> None:
        """Write a stock row, replacing the organization's row with the same key."""
        ...


class InventoryStore(Protocol):
    def transact(self, work: Callable[[Transaction], T]) -> T:
        """Run `work` in one transaction and commit once; retried on contention."""
        ...

    def get_item(self, organization_id: str, item_id: str) -> InventoryItem | None: ...
    def list_items(self, organization_id: str, item_filter: ItemFilter, page: int,
                   limit: int, cursor: str | None = None) -> Page[InventoryItem]:
        """Active items in id order: page `page` (an offset), or, with a `cursor` this method
        returned, the `limit` items after it (keyset: the items before it are not read).
        `next_cursor` resumes after the page's last item; None when no item follows. Any cursor
        this method did not write is refused: InvalidInput `invalid_cursor` on `cursor`."""
        ...
    def items_by_update(self, organization_id: str, item_filter: ItemFilter,
                        after: tuple[str, str] | None, limit: int) -> Sequence[InventoryItem]:
        """Up to `limit` active items the filter matches, most recently updated first (by
        updated_at, then id, both descending), strictly after the key `after` (updated_at as
        format_instant text, an item id) in that order; keyset: the items before it are not read."""
        ...
    def list_changes(self, organization_id: str, item_id: str, cursor: str | None,
                     limit: int) -> Slice[LedgerEntry]:
        """The item's ledger in effective order, latest first (by occurred_at, then recording
        order, both descending); nothing (and no cursor) for an item with no entries or
        of another organization. Cursors as list_items'."""
        ...
    def get_ledger_entry(self, organization_id: str, entry_id: str) -> LedgerEntry | None:
        """One ledger entry by its id, whichever item it belongs to; None for another
        organization's (for dialects that name a change by its id alone, as Square does)."""
        ...
    def transfer_entries(self, organization_id: str, transfer_id: str) -> Sequence[LedgerEntry]:
        """A transfer's ledger entries (the one out of its source, then the one into its
        destination); empty for an unknown id or another organization's."""
        ...
    def ledger_by_time(self, organization_id: str, item_id: str, after: tuple[str, str] | None,
                       limit: int, newest_first: bool = False) -> Sequence[LedgerEntry]:
        """Up to `limit` of the item's ledger entries in (occurred_at, id) order — oldest first, or
        newest first — strictly after the key `after` (occurred_at as format_instant text, an
        entry id) in that order (keyset: the entries before it are not read). An order across
        items, for lists that merge several items' ledgers; none for another organization's item."""
        ...
    def snapshot(self, organization_id: str, location_id: str, at: datetime,
                 room_type: RoomType | None, category: str | None, after: str | None,
                 limit: int, totals: SnapshotTotals | None = None) -> SnapshotPage:
        """The location's items that existed at `at` (domain.snapshot.existed_at), by id after
        `after`, each at the quantity of its last ledger entry at or before `at` (ties in ledger
        order). Without `totals` it sums every such item, reading O(items) (never the whole
        ledger); given the totals of an earlier page of the same snapshot, it reads only this
        page's items and returns those totals."""
        ...
    def active_places(self, organization_id: str, location_id: str) -> list[tuple[RoomType, str]]:
        """The (room type, sku) of every active item at the location, read in one query (one
        consistent view, however large the location), without the items themselves."""
        ...
    def list_locations(self, organization_id: str) -> Sequence[Location]: ...
    def get_location(self, organization_id: str, location_id: str) -> Location | None: ...
    def find_location_by_code(self, organization_id: str, code: str) -> Location | None: ...
    def list_stock_rows(self, organization_id: str) -> Sequence[StockRow]:
        """Every stock row of the organization, by (date, location, product)."""
        ...
    def stock_rows_page(self, organization_id: str, order: str, descending: bool,
                        after: tuple[str, str, str] | None, offset: int,
                        limit: int) -> Sequence[StockRow]:
        """Up to `limit` of the organization's stock rows by the key STOCK_ROW_ORDERS[order]
        (reversed when `descending`): strictly after the key `after` (keyset: the rows before it
        are not read), or else after skipping `offset` rows."""
        ...
    def stock_row_count(self, organization_id: str) -> int:
        """How many stock rows the organization has (one count, not a read of each row)."""
        ...
    def get_stock_row(self, organization_id: str, location_id: str, product_id: str,
                      date: str) -> StockRow | None:
        """The organization's stock row with this key, read by its key."""
        ...
    def pending_events(self, limit: int) -> Sequence[Event]:
        """Every organization's outbox events not yet published, oldest first in commit order."""
        ...
    def mark_published(self, event_ids: Sequence[str], at: datetime) -> None: ...
    def events_not_fanned_out(self, published_before: datetime, limit: int) -> Sequence[Event]:
        """Every organization's events published before `published_before` whose deliveries were
        never made (their fan-out was lost with a crashed dispatcher), oldest first."""
        ...
    def get_event(self, organization_id: str, event_id: str) -> Event | None: ...
    def list_events(self, organization_id: str, after: str | None, types: Sequence[str],
                    limit: int) -> Slice[Event]:
        """The organization's events (of these types, if any) in commit order after an opaque
        cursor, published or not. `next_cursor` is never None: it resumes after the last event
        read or, when none was, where `after` stood (the start of the feed without one), so a
        consumer always polls on from the cursor it was given, an empty feed's too. Any `after`
        this method did not write is refused: InvalidInput `invalid_cursor` on `after`."""
        ...

    def list_subscriptions(self, organization_id: str) -> Sequence[WebhookSubscription]: ...
    def get_subscription(self, organization_id: str,
                         subscription_id: str) -> WebhookSubscription | None: ...
    def list_deliveries(self, organization_id: str, subscription_id: str, cursor: str | None,
                        limit: int) -> Slice[Delivery]:
        """The subscription's delivery log, newest first: by `created_at`, then id, however
        often a delivery is saved again. Cursors as list_items'."""
        ...
    def pos_connections(self) -> Sequence[PosConnection]:
        """Every organization's POS connections, by organization, then location."""
        ...
    def get_pos_connection(self, organization_id: str, location_id: str) -> PosConnection | None: ...
    def get_sync_run(self, organization_id: str, sync_id: str) -> SyncRun | None:
        """The run if it belongs to the organization."""
        ...
    def queued_sync_runs(self, limit: int) -> Sequence[SyncRun]:
        """Every organization's queued runs, oldest first (by `created_at`, then id)."""
        ...
    def running_sync_runs(self, limit: int) -> Sequence[SyncRun]:
        """Runs a worker has started and not finished (oldest first), for the lease sweep."""
        ...
    def last_sync_watermark(self, organization_id: str, location_id: str) -> str | None:
        """The watermark an incremental sync resumes from: that of the location's successful run
        that finished last among those that recorded one, however many runs (failed, or
        successful with nothing new) came after it; None when no run recorded one."""
        ...

    def due_deliveries(self, now: datetime, limit: int,
                       skip_subscriptions: Collection[str] = ()) -> Sequence[Delivery]:
        """Every organization's pending deliveries whose next attempt time has come and that no
        worker holds, none of the subscriptions in `skip_subscriptions` (so a long queue of one
        subscriber's deliveries cannot hide the others'): retries first (by next attempt time),
        then those never attempted, ties by id; up to `limit` of them, however many held ones
        come first."""
        ...

    def delete_expired_idempotency(self, now: datetime) -> int:
        """Delete the replay records whose `expires_at` is at or before `now`, in short
        transactions; how many. A store whose database deletes them by itself (Firestore, by
        the TTL policy in infra/firestore.tf) leaves them to it and deletes none here."""
        ...

    def reencrypt_secrets(self) -> int:
        """Seal every stored secret under the key that seals now (those stored in clear by an
        older version too); returns how many were rewritten."""
        ...

    def find_api_key(self, key_hash: str) -> ApiKey | None: ...
    def get_organization(self, organization_id: str) -> Organization | None: ...
    def save_organization(self, organization: Organization) -> None: ...
    def save_api_key(self, key: ApiKey) -> None: ...


class SecretBox(Protocol):
    """Seals secrets before a store writes them and opens them when it reads them. `context`
    says what a value is and which record holds it; a value opens only in its own context."""

    def seal(self, plaintext: str, context: str) -> str: ...
    def open(self, stored: str, context: str) -> str: ...
    def is_current(self, stored: str) -> bool:
        """Sealed under the key that seals now (False for a value stored in clear)."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


IdGenerator = Callable[[str], str]


class EventPublisher(Protocol):
    def publish(self, events: Sequence[Event]) -> None:
        """Hand committed events on for delivery; raise if they may not have been taken."""
        ...


@dataclass(frozen=True)
class SendResult:
    status: int | None  # None when no HTTP answer came (refused, timed out)
    error: str | None = None


class WebhookSender(Protocol):
    def post(self, url: str, headers: dict[str, str], body: str, timeout_s: float) -> SendResult: ...


@dataclass(frozen=True)
class SignedRequest:
    headers: dict[str, str]
    body: str


class WebhookRenderer(Protocol):
    """One webhook format: its signing keys, which of our events it carries, and the signed
    request an event becomes for a subscription in it."""

    def new_secret(self) -> str: ...

    def carries(self, event: Event, tx: Transaction) -> bool:
        """Whether a subscription in this format gets the event (read in the fan-out's
        transaction, where the format needs more than the event: Square's, the location's room)."""
        ...

    def render(self, store: InventoryStore, event: Event, subscription: WebhookSubscription,
               sent_at: datetime) -> SignedRequest: ...


class SyncQueue(Protocol):
    def enqueue(self, sync_id: str) -> None:
        """Ask for a queued sync run to be worked (Pub/Sub in the cloud, the worker locally)."""
        ...


class StoredSyncQueue:
    def enqueue(self, sync_id: str) -> None:
        pass  # queued runs stay in the store, where the local worker finds them


class DeliveryQueue(Protocol):
    def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        """Ask for each delivery to be attempted as a unit of work of its own (a Pub/Sub
        message each in the cloud, the worker locally); raise if they may not have been taken."""
        ...


class StoredDeliveryQueue:
    def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        pass  # pending deliveries stay in the store, where the local worker finds them


@dataclass
class Services:
    """The collaborators one function instance hands every use case."""

    store: InventoryStore
    clock: Clock
    new_id: IdGenerator
    settings: Any = None
    # Built on first use, so a function that never publishes never imports a cloud client.
    publisher_factory: Callable[[], EventPublisher] | None = None
    sender_factory: Callable[[], WebhookSender] | None = None
    sync_queue_factory: Callable[[], SyncQueue] | None = None
    delivery_queue_factory: Callable[[], DeliveryQueue] | None = None
    # Builds the connector for a location's POS connection, refusing settings it cannot use.
    connector_for: Callable[[Any], Any] | None = None
    # The renderer of each webhook format but the native one (which the service holds itself).
    webhook_renderers_factory: Callable[[], dict[str, WebhookRenderer]] | None = None

    @cached_property
    def sync_queue(self) -> SyncQueue:
        return self.sync_queue_factory() if self.sync_queue_factory else StoredSyncQueue()

    @cached_property
    def delivery_queue(self) -> DeliveryQueue:
        return self.delivery_queue_factory() if self.delivery_queue_factory else StoredDeliveryQueue()

    @cached_property
    def publisher(self) -> EventPublisher | None:
        return self.publisher_factory() if self.publisher_factory else None

    @cached_property
    def sender(self) -> WebhookSender | None:
        return self.sender_factory() if self.sender_factory else None

    @cached_property
    def webhook_renderers(self) -> dict[str, WebhookRenderer]:
        """Each webhook format's renderer, by the format's name."""
        from ..domain.webhooks import WebhookFormat
        from .standard_webhooks import StandardWebhooks
        built = self.webhook_renderers_factory() if self.webhook_renderers_factory else {}
        return {WebhookFormat.NATIVE.value: StandardWebhooks(), **built}
