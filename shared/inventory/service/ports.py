"""What the service needs from the outside world, as protocols the adapters implement."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Generic, Protocol, Sequence, TypeVar

from ..domain.codes import RoomType
from ..domain.models import (ApiKey, Event, IdempotencyRecord, InventoryItem, LedgerEntry,
                             Location, Organization)

T = TypeVar("T")


@dataclass(frozen=True)
class ItemFilter:
    location_id: str | None = None
    room_type: RoomType | None = None
    category: str | None = None
    low_stock: bool | None = None
    updated_after: datetime | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int


@dataclass(frozen=True)
class Slice(Generic[T]):
    """A cursor-paginated slice; `next_cursor` is None on the last one."""

    items: Sequence[T]
    next_cursor: str | None = None


class Transaction(Protocol):
    """One unit of work. Reads come before writes; nothing is visible to others until commit.

    A store may run the work function more than once (Firestore retries on contention),
    so the function must do nothing outside the transaction it is handed.
    """

    def get_item(self, organization_id: str, item_id: str) -> InventoryItem | None: ...
    def find_active_item(self, organization_id: str, location_id: str, room_type: RoomType,
                         sku: str) -> InventoryItem | None: ...
    def get_location(self, organization_id: str, location_id: str) -> Location | None: ...
    def get_idempotency(self, organization_id: str, key: str) -> IdempotencyRecord | None: ...

    def save_item(self, item: InventoryItem) -> None: ...
    def save_location(self, location: Location) -> None: ...
    def append_ledger(self, entry: LedgerEntry) -> None: ...
    def append_event(self, event: Event) -> None: ...
    def save_idempotency(self, record: IdempotencyRecord) -> None: ...


class InventoryStore(Protocol):
    def transact(self, work: Callable[[Transaction], T]) -> T:
        """Run `work` in one transaction and commit once; retried on contention."""
        ...

    def get_item(self, organization_id: str, item_id: str) -> InventoryItem | None: ...
    def list_items(self, organization_id: str, item_filter: ItemFilter, page: int,
                   limit: int) -> Page[InventoryItem]: ...
    def list_changes(self, organization_id: str, item_id: str, cursor: str | None,
                     limit: int) -> Slice[LedgerEntry]: ...
    def list_locations(self, organization_id: str) -> Sequence[Location]: ...
    def get_location(self, organization_id: str, location_id: str) -> Location | None: ...
    def pending_events(self, limit: int) -> Sequence[Event]: ...

    def find_api_key(self, key_hash: str) -> ApiKey | None: ...
    def save_organization(self, organization: Organization) -> None: ...
    def save_api_key(self, key: ApiKey) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


IdGenerator = Callable[[str], str]


@dataclass
class Services:
    """The collaborators one function instance hands every use case."""

    store: InventoryStore
    clock: Clock
    new_id: IdGenerator
    settings: Any = None
