"""SqliteStore: the InventoryStore port over one SQLite file in WAL mode."""
from __future__ import annotations

import dataclasses
import queue
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Sequence, TypeVar

from pydantic import BaseModel

from ...domain import cursor as cursors
from ...domain.codes import RoomType
from ...domain.models import (ApiKey, Event, IdempotencyRecord, InventoryItem, LedgerEntry,
                              Location, Organization)
from ...domain.numbers import MONEY_PLACES, QUANTITY_PLACES, from_scaled_int
from ...domain.snapshot import SettingEntry, SnapshotLine, SnapshotPage, SnapshotTotals
from ...domain.time import format_instant, parse_instant
from ...domain.sync import PosConnection, SyncRun
from ...domain.webhooks import Delivery, WebhookSubscription
from ...service.ports import STOCK_ROW_ORDERS, ItemFilter, Page, SecretBox, Slice, StockRow
from ..location_codes import CodeBook, duplicate_code
from ..places import PlaceBook
from ..private_files import private_directory, private_file
from ..records import NO_SECRETS, SEALED, SealedRecords, from_row, to_row
from ..secret_box import NO_SECRET_BOX
from .schema import migrate

T = TypeVar("T")
_PLACES_PER_STATEMENT = 400  # bound parameters stay under SQLite's oldest limit of 999


_ITEM_KEY = ("organization_id", "id")
_STATEMENTS: dict[tuple[str, str, tuple[str, ...]], str] = {}


def _statement(verb: str, table: str, columns: tuple[str, ...]) -> str:
    """The SQL for writing these columns, built once (positional parameters bind fastest)."""
    key = (verb, table, columns)
    sql = _STATEMENTS.get(key)
    if sql is None:
        if verb == "UPDATE":  # these columns of the row with this key (organization_id, id)
            assignments = ", ".join(f"{c} = ?" for c in columns if c not in _ITEM_KEY)
            sql = f"UPDATE {table} SET {assignments} WHERE organization_id = ? AND id = ?"
        elif verb == "UPSERT":  # a new row, or these columns of the one with its key
            assignments = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in _ITEM_KEY)
            sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                   f" ON CONFLICT (organization_id, id) DO UPDATE SET {assignments}")
        else:
            sql = f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        _STATEMENTS[key] = sql
    return sql



def _insert(connection: sqlite3.Connection, table: str, record: BaseModel, replace: bool = False,
            row: dict[str, Any] | None = None) -> None:
    row = to_row(record) if row is None else row
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    connection.execute(_statement(verb, table, tuple(row)), tuple(row.values()))


class SqliteTransaction:
    """The Transaction port on one connection inside BEGIN IMMEDIATE … COMMIT."""

    def __init__(self, connection: sqlite3.Connection, sealed: SealedRecords = NO_SECRETS):
        self._db = connection
        self._sealed = sealed
        # Item rows as this transaction last read or wrote them. It holds the write lock, so
        # they are what the file holds, and saving an item writes only the columns that differ.
        self._items: dict[tuple[str, str], Any] = {}
        # The items and places read here: which saved item takes a place (the unique index
        # items_one_active_per_place backs it).
        self._places = PlaceBook()
        self._codes = CodeBook()  # the location codes read here (locations_by_code backs them)

    def _item(self, row: sqlite3.Row | None) -> InventoryItem | None:
        if row is None:
            return None
        self._items[(row["organization_id"], row["id"])] = row
        item = from_row(InventoryItem, row)
        self._places.read_item(item)
        return item

    def get_item(self, organization_id: str, item_id: str) -> InventoryItem | None:
        return self._item(self._db.execute("SELECT * FROM items WHERE organization_id = ? AND id = ?",
                                           (organization_id, item_id)).fetchone())

    def get_items(self, organization_id: str, item_ids: Collection[str]) -> dict[str, InventoryItem]:
        ids = list(dict.fromkeys(item_ids))
        found: dict[str, InventoryItem] = {}
        for start in range(0, len(ids), _PLACES_PER_STATEMENT):
            chunk = ids[start:start + _PLACES_PER_STATEMENT]
            for row in self._db.execute(
                    f"SELECT * FROM items WHERE organization_id = ? AND id IN ({', '.join('?' * len(chunk))})",
                    (organization_id, *chunk)).fetchall():
                found[row["id"]] = self._item(row)
        return found

    def find_active_item(self, organization_id: str, location_id: str, room_type: RoomType,
                         sku: str) -> InventoryItem | None:
        room = RoomType(room_type).value
        found = self._item(self._db.execute(
            "SELECT * FROM items WHERE organization_id = ? AND location_id = ? AND room_type = ?"
            " AND sku = ? AND archived_at IS NULL",
            (organization_id, location_id, room, sku)).fetchone())
        self._places.read_place((organization_id, location_id, room, sku), found.id if found else None)
        return found

    def find_active_items(self, organization_id: str, location_id: str,
                          places: Collection[tuple[RoomType, str]],
                          ) -> dict[tuple[RoomType, str], InventoryItem]:
        # One seek per place on items_one_active_per_place, a few hundred places per statement.
        skus_by_room: dict[RoomType, list[str]] = {}
        for room_type, sku in dict.fromkeys(places):
            skus_by_room.setdefault(RoomType(room_type), []).append(sku)
        found: dict[tuple[RoomType, str], InventoryItem] = {}
        for room_type, skus in skus_by_room.items():
            for start in range(0, len(skus), _PLACES_PER_STATEMENT):
                chunk = skus[start:start + _PLACES_PER_STATEMENT]
                rows = self._db.execute(
                    "SELECT * FROM items WHERE organization_id = ? AND location_id = ?"
                    " AND room_type = ? AND archived_at IS NULL"
                    f" AND sku IN ({', '.join('?' * len(chunk))})",
                    (organization_id, location_id, room_type.value, *chunk)).fetchall()
                for row in rows:
                    found[(room_type, row["sku"])] = self._item(row)
                for sku in chunk:
                    held = found.get((room_type, sku))
                    self._places.read_place((organization_id, location_id, room_type.value, sku),
                                            held.id if held else None)
        return found

    def save_item(self, item: InventoryItem) -> None:
        """An UPDATE of the columns that changed, or an INSERT of a new item: never the delete and
        reinsert (every column and index entry written again) of INSERT OR REPLACE."""
        self._places.save(item)  # refuses a new item on a place unread or held; the index follows
        row = to_row(item)
        key = (row["organization_id"], row["id"])
        stored = self._items.get(key)
        if stored is not None:
            changed = tuple(c for c, value in row.items() if value != stored[c])
            if changed:
                self._db.execute(_statement("UPDATE", "items", changed),
                                 [*(row[c] for c in changed), *key])
        else:  # not read here: a new item, or one saved blind
            self._db.execute(_statement("UPSERT", "items", tuple(row)), tuple(row.values()))
        self._items[key] = row

    def confirm_synced(self, organization_id: str, item_ids: Collection[str], at: datetime) -> None:
        ids = list(dict.fromkeys(item_ids))
        for start in range(0, len(ids), _PLACES_PER_STATEMENT):
            chunk = ids[start:start + _PLACES_PER_STATEMENT]
            self._db.execute(f"UPDATE items SET last_sync = ? WHERE organization_id = ?"
                             f" AND id IN ({', '.join('?' * len(chunk))})",
                             (format_instant(at), organization_id, *chunk))
        for item_id in ids:  # the rows as read are stale now: a later save writes every column
            self._items.pop((organization_id, item_id), None)

    def _location(self, row: sqlite3.Row | None) -> Location | None:
        if row is None:
            return None
        location = from_row(Location, row)
        self._codes.read_location(location)
        return location

    def get_location(self, organization_id: str, location_id: str) -> Location | None:
        return self._location(self._db.execute(
            "SELECT * FROM locations WHERE organization_id = ? AND id = ?",
            (organization_id, location_id)).fetchone())

    def find_location_by_code(self, organization_id: str, code: str) -> Location | None:
        found = self._location(self._db.execute(
            "SELECT * FROM locations WHERE organization_id = ? AND code = ?",
            (organization_id, code)).fetchone())
        self._codes.read_code(organization_id, code, found.id if found else None)
        return found

    def get_idempotency(self, organization_id: str, api_key_id: str,
                        key: str) -> IdempotencyRecord | None:
        row = self._db.execute("SELECT * FROM idempotency WHERE organization_id = ?"
                               " AND api_key_id = ? AND key = ?",
                               (organization_id, api_key_id, key)).fetchone()
        return self._sealed.from_row(IdempotencyRecord, row) if row else None

    def save_location(self, location: Location) -> None:
        # An upsert by id, never INSERT OR REPLACE: that would delete another location holding
        # the code instead of refusing.
        code = location.code
        self._codes.save(location)
        row = to_row(location)
        try:
            self._db.execute(_statement("UPSERT", "locations", tuple(row)), tuple(row.values()))
        except sqlite3.IntegrityError:  # locations_by_code: the code is another location's
            raise duplicate_code(code or "") from None

    def append_ledger(self, entry: LedgerEntry) -> None:
        _insert(self._db, "ledger", entry)

    def ledger_after(self, organization_id: str, item_id: str, at: datetime) -> list[LedgerEntry]:
        rows = self._db.execute(
            "SELECT * FROM ledger INDEXED BY ledger_by_item_time WHERE organization_id = ?"
            " AND item_id = ? AND occurred_at > ? ORDER BY occurred_at, seq",
            (organization_id, item_id, format_instant(at))).fetchall()
        return [from_row(LedgerEntry, row) for row in rows]

    def rewrite_ledger(self, entries: Sequence[LedgerEntry]) -> None:
        rows = [to_row(entry) for entry in entries]
        self._db.executemany(
            "UPDATE ledger SET quantity_change = ?, quantity_before = ?, quantity_after = ?,"
            " revised_at = ?, revised_by = ? WHERE id = ?",
            [(row["quantity_change"], row["quantity_before"], row["quantity_after"],
              row["revised_at"], row["revised_by"], row["id"]) for row in rows])

    def append_event(self, event: Event) -> None:
        _insert(self._db, "events", event)

    def save_idempotency(self, record: IdempotencyRecord) -> None:
        _insert(self._db, "idempotency", record, replace=True, row=self._sealed.to_row(record))

    def get_subscription(self, organization_id: str, subscription_id: str) -> WebhookSubscription | None:
        row = self._db.execute("SELECT * FROM webhook_subscriptions WHERE organization_id = ? AND id = ?",
                               (organization_id, subscription_id)).fetchone()
        return self._sealed.from_row(WebhookSubscription, row) if row else None

    def subscriptions_for(self, organization_id: str, event_type: str) -> list[WebhookSubscription]:
        rows = self._db.execute("SELECT * FROM webhook_subscriptions WHERE organization_id = ?"
                                " AND deleted_at IS NULL ORDER BY id", (organization_id,)).fetchall()
        found = [self._sealed.from_row(WebhookSubscription, row) for row in rows]
        return [s for s in found if s.wants(event_type)]

    def get_delivery(self, delivery_id: str) -> Delivery | None:
        row = self._db.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
        return from_row(Delivery, row) if row else None

    def save_subscription(self, subscription: WebhookSubscription) -> None:
        _insert(self._db, "webhook_subscriptions", subscription, replace=True,
                row=self._sealed.to_row(subscription))

    def save_delivery(self, delivery: Delivery) -> None:
        _insert(self._db, "deliveries", delivery, replace=True)

    def get_pos_connection(self, organization_id: str, location_id: str) -> PosConnection | None:
        row = self._db.execute("SELECT * FROM pos_connections WHERE organization_id = ? AND location_id = ?",
                               (organization_id, location_id)).fetchone()
        return self._sealed.from_row(PosConnection, row) if row else None

    def get_sync_run(self, sync_id: str) -> SyncRun | None:
        row = self._db.execute("SELECT * FROM sync_runs WHERE id = ?", (sync_id,)).fetchone()
        return from_row(SyncRun, row) if row else None

    def active_sync_run(self, organization_id: str, location_id: str) -> SyncRun | None:
        row = self._db.execute(
            "SELECT * FROM sync_runs WHERE organization_id = ? AND location_id = ?"
            " AND status IN ('queued', 'running') LIMIT 1", (organization_id, location_id)).fetchone()
        return from_row(SyncRun, row) if row else None

    def save_pos_connection(self, connection: PosConnection) -> None:
        _insert(self._db, "pos_connections", connection, replace=True,
                row=self._sealed.to_row(connection))

    def save_sync_run(self, run: SyncRun) -> None:
        _insert(self._db, "sync_runs", run, replace=True)

    def mark_fanned_out(self, event_ids: Sequence[str], at: datetime) -> None:
        self._db.executemany("UPDATE events SET fanned_out_at = ? WHERE id = ? AND fanned_out_at IS NULL",
                             [(format_instant(at), event_id) for event_id in event_ids])

    def get_stock_rows(self, organization_id: str,
                       keys: Collection[tuple[str, str, str]]) -> dict[tuple[str, str, str], StockRow]:
        found: dict[tuple[str, str, str], StockRow] = {}
        for key in dict.fromkeys(keys):  # a primary-key lookup each
            row = self._db.execute(
                "SELECT * FROM stock_rows WHERE organization_id = ? AND location_id = ?"
                " AND product_id = ? AND date = ?", (organization_id, *key)).fetchone()
            if row is not None:
                found[key] = StockRow(**dict(row))
        return found

    def save_stock_row(self, row: StockRow) -> None:
        values = dataclasses.asdict(row)
        self._db.execute(_statement("INSERT OR REPLACE", "stock_rows", tuple(values)),
                         tuple(values.values()))

    # -- the store's own writes, beyond the port ------------------------------------------------
    def mark_published(self, event_ids: Sequence[str], at: datetime) -> None:
        self._db.executemany("UPDATE events SET published_at = ? WHERE id = ? AND published_at IS NULL",
                             [(format_instant(at), event_id) for event_id in event_ids])

    def save_organization(self, organization: Organization) -> None:
        _insert(self._db, "organizations", organization, replace=True)

    def save_api_key(self, key: ApiKey) -> None:
        _insert(self._db, "api_keys", key, replace=True)

    def delete_expired_idempotency(self, now: datetime, limit: int) -> int:
        """Delete up to `limit` replay records expired by `now`; how many."""
        return self._db.execute(
            "DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency"
            " INDEXED BY idempotency_by_expiry WHERE expires_at <= ? LIMIT ?)",
            (format_instant(now), limit)).rowcount

    def reseal_rows(self, table: str, model: type[BaseModel], where: str, after: int,
                    batch: int) -> tuple[int, int | None]:
        """Seal again, under the current key, the secrets of the next `batch` rows of the table
        after rowid `after` that need it; (how many were rewritten, the rowid to go on after or
        None at the end)."""
        rows = self._db.execute(f"SELECT rowid AS position, * FROM {table} WHERE rowid > ?{where}"
                                " ORDER BY rowid LIMIT ?", (after, batch)).fetchall()
        changed = 0
        for row in rows:
            resealed = self._sealed.resealed(model, row)
            if resealed is not None:
                field, value = resealed
                self._db.execute(f"UPDATE {table} SET {field} = ? WHERE rowid = ?",
                                 (value, row["position"]))
                changed += 1
        return changed, rows[-1]["position"] if len(rows) == batch else None


class SqliteStore:
    """One database file; every use case in one write transaction. Connections are pooled, not
    tied to threads (the local server starts a thread per request), and a thread keeps the one
    it holds while it holds it, so a read inside a transaction sees that transaction."""

    IDLE = 32  # idle connections kept for reuse; more are closed when given back

    def __init__(self, path: Path | str, secret_box: SecretBox = NO_SECRET_BOX):
        self.path = Path(path)
        # The directory 0700 and the database 0600; SQLite gives its WAL and index the
        # database's mode, and those an older version left looser are tightened.
        private_directory(self.path.parent)
        private_file(self.path)
        for suffix in ("-wal", "-shm", "-journal"):
            companion = self.path.with_name(self.path.name + suffix)
            if companion.exists():
                private_file(companion)
        self._sealed = SealedRecords(secret_box)
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._held = threading.local()
        with self._connection() as connection:
            migrate(connection)

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=60,
                                     check_same_thread=False)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed change (and its outbox event) survives a power cut too.
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA busy_timeout = 60000")
        return connection

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        held = getattr(self._held, "connection", None)
        if held is not None:  # nested in a transaction or read of this thread's
            yield held
            return
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            connection = self._open()
        self._held.connection = connection
        try:
            yield connection
        finally:
            self._held.connection = None
            if connection.in_transaction:  # never hand on a connection mid-transaction
                connection.close()
            elif self._idle.qsize() < self.IDLE:
                self._idle.put(connection)
            else:
                connection.close()

    def close(self) -> None:
        """Close the idle connections (those in use close when given back past the limit)."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def transact(self, work: Callable[[SqliteTransaction], T]) -> T:
        with self._connection() as connection:
            # IMMEDIATE takes the write lock up front, so concurrent use cases queue instead of
            # reading a version that another writer is about to replace (no lost update).
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(SqliteTransaction(connection, self._sealed))
                connection.execute("COMMIT")
                return result
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def _query(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._connection() as connection:
            return connection.execute(sql, parameters).fetchall()

    def get_item(self, organization_id: str, item_id: str) -> InventoryItem | None:
        with self._connection() as connection:
            return SqliteTransaction(connection, self._sealed).get_item(organization_id, item_id)

    def get_location(self, organization_id: str, location_id: str) -> Location | None:
        with self._connection() as connection:
            return SqliteTransaction(connection, self._sealed).get_location(organization_id, location_id)

    def find_location_by_code(self, organization_id: str, code: str) -> Location | None:
        with self._connection() as connection:
            return SqliteTransaction(connection, self._sealed).find_location_by_code(organization_id, code)

    def _items_where(self, organization_id: str, item_filter: ItemFilter) -> tuple[str, list[Any]]:
        """The WHERE clause (and its parameters) of the active items a filter matches."""
        where = ["organization_id = ?", "archived_at IS NULL"]
        parameters: list[Any] = [organization_id]
        for column in ("location_id", "category", "sku", "product_id"):
            value = getattr(item_filter, column)
            if value is not None:
                where.append(f"{column} = ?")
                parameters.append(value)
        if item_filter.room_type is not None:
            where.append("room_type = ?")
            parameters.append(RoomType(item_filter.room_type).value)
        if item_filter.low_stock is not None:
            where.append("low_stock = ?")
            parameters.append(int(item_filter.low_stock))
        if item_filter.updated_after is not None:
            where.append("updated_at > ?")
            parameters.append(format_instant(item_filter.updated_after))
        return " AND ".join(where), parameters

    def items_by_update(self, organization_id: str, item_filter: ItemFilter,
                        after: tuple[str, str] | None, limit: int) -> Sequence[InventoryItem]:
        clause, parameters = self._items_where(organization_id, item_filter)
        if after is not None:
            clause += " AND (updated_at < ? OR (updated_at = ? AND id < ?))"
            parameters += [after[0], after[0], after[1]]
        rows = self._query(f"SELECT * FROM items WHERE {clause} ORDER BY updated_at DESC, id DESC"
                           " LIMIT ?", [*parameters, limit])
        return [from_row(InventoryItem, row) for row in rows]

    def list_items(self, organization_id: str, item_filter: ItemFilter, page: int,
                   limit: int, cursor: str | None = None) -> Page[InventoryItem]:
        clause, parameters = self._items_where(organization_id, item_filter)
        total = self._query(f"SELECT COUNT(*) FROM items WHERE {clause}", parameters)[0][0]
        if cursor is None:
            rows = self._query(f"SELECT * FROM items WHERE {clause} ORDER BY id LIMIT ? OFFSET ?",
                               [*parameters, limit, (page - 1) * limit])
            more = (page - 1) * limit + len(rows) < total
        else:  # keyset: seek past the cursor's id instead of counting off the items before it
            rows = self._query(f"SELECT * FROM items WHERE {clause} AND id > ? ORDER BY id LIMIT ?",
                               [*parameters, cursors.read_after_id(cursor), limit + 1])
            more, rows = len(rows) > limit, rows[:limit]
        items = [from_row(InventoryItem, row) for row in rows]
        return Page(items, total, cursors.write_after_id(items[-1].id) if more and items else None)

    def list_changes(self, organization_id: str, item_id: str, cursor: str | None,
                     limit: int) -> Slice[LedgerEntry]:
        sql = ("SELECT * FROM ledger INDEXED BY ledger_by_item_time"
               " WHERE organization_id = ? AND item_id = ?")
        parameters: list[Any] = [organization_id, item_id]
        if cursor:  # the entries before the cursor's in effective order (occurred_at, seq)
            occurred_at, seq = cursors.read_effective(cursor, "at-seq")
            sql += " AND (occurred_at < ? OR (occurred_at = ? AND seq < ?))"
            parameters += [occurred_at, occurred_at, seq]
        rows = self._query(sql + " ORDER BY occurred_at DESC, seq DESC LIMIT ?", [*parameters, limit + 1])
        next_cursor = (cursors.write_effective("at-seq", rows[limit - 1]["occurred_at"], rows[limit - 1]["seq"])
                       if len(rows) > limit else None)
        return Slice([from_row(LedgerEntry, row) for row in rows[:limit]], next_cursor)

    def get_ledger_entry(self, organization_id: str, entry_id: str) -> LedgerEntry | None:
        rows = self._query("SELECT * FROM ledger WHERE organization_id = ? AND id = ?",
                           [organization_id, entry_id])
        return from_row(LedgerEntry, rows[0]) if rows else None

    def transfer_entries(self, organization_id: str, transfer_id: str) -> list[LedgerEntry]:
        rows = self._query("SELECT * FROM ledger INDEXED BY ledger_by_transfer WHERE organization_id = ?"
                           " AND transfer_id = ? ORDER BY quantity_change > 0, id",
                           [organization_id, transfer_id])
        return [from_row(LedgerEntry, row) for row in rows]

    def ledger_by_time(self, organization_id: str, item_id: str, after: tuple[str, str] | None,
                       limit: int, newest_first: bool = False) -> Sequence[LedgerEntry]:
        beyond, order = ("<", "DESC") if newest_first else (">", "ASC")
        sql = ("SELECT * FROM ledger INDEXED BY ledger_by_item_time_id"
               " WHERE organization_id = ? AND item_id = ?")
        parameters: list[Any] = [organization_id, item_id]
        if after is not None:
            sql += f" AND (occurred_at {beyond} ? OR (occurred_at = ? AND id {beyond} ?))"
            parameters += [after[0], after[0], after[1]]
        rows = self._query(sql + f" ORDER BY occurred_at {order}, id {order} LIMIT ?", [*parameters, limit])
        return [from_row(LedgerEntry, row) for row in rows]

    def snapshot(self, organization_id: str, location_id: str, at: datetime,
                 room_type: RoomType | None, category: str | None, after: str | None,
                 limit: int, totals: SnapshotTotals | None = None) -> SnapshotPage:
        parameters: dict[str, Any] = {"org": organization_id, "location": location_id,
                                      "at": format_instant(at), "after": after or "",
                                      "limit": limit + 1}
        # domain.snapshot.existed_at, in SQL so the totals are summed without a row leaving SQLite
        # (instants are fixed-width text, so text order is time order); tests/store holds both
        # stores to the rule on its edges.
        where = ("i.organization_id = :org AND i.location_id = :location AND i.created_at <= :at"
                 " AND (i.archived_at IS NULL OR i.archived_at > :at)")
        if room_type is not None:
            where += " AND i.room_type = :room_type"
            parameters["room_type"] = RoomType(room_type).value
        if category is not None:
            where += " AND i.category = :category"
            parameters["category"] = category
        with self._connection() as connection:
            # One read transaction: the totals and the page see the same committed state.
            connection.execute("BEGIN")
            try:
                if totals is None:  # a first page: later ones carry these totals in their cursor
                    totals = _snapshot_totals(connection.execute(
                        "SELECT COALESCE(s.quantity_after, 0), i.unit_cost, s.recorded_at,"
                        " s.revised_at FROM items AS i INDEXED BY items_by_location"
                        f" {_SETTING_ENTRY} WHERE {where}", parameters).fetchall(), at)
                # The page is chosen first, so only its own items are looked up a second time.
                rows = connection.execute(
                    "SELECT i.*, COALESCE(s.quantity_after, 0) AS quantity_then,"
                    " s.id AS entry_id, s.occurred_at AS entry_occurred_at,"
                    " s.recorded_at AS entry_recorded_at, s.revised_at AS entry_revised_at FROM ("
                    f"SELECT * FROM items AS i INDEXED BY items_by_location WHERE {where}"
                    f" AND i.id > :after ORDER BY i.id LIMIT :limit) AS i {_SETTING_ENTRY}"
                    " ORDER BY i.id", parameters).fetchall()
            finally:
                connection.execute("COMMIT")
        lines = [SnapshotLine(from_row(InventoryItem, row),
                              from_scaled_int(row["quantity_then"], QUANTITY_PLACES),
                              _setting_entry(row))
                 for row in rows[:limit]]
        return SnapshotPage(lines, totals, last_id=lines[-1].item.id if len(rows) > limit else None)

    def active_places(self, organization_id: str, location_id: str) -> list[tuple[RoomType, str]]:
        rows = self._query("SELECT room_type, sku FROM items WHERE organization_id = ?"
                           " AND location_id = ? AND archived_at IS NULL",
                           [organization_id, location_id])
        return [(RoomType(room_type), sku) for room_type, sku in rows]

    def list_locations(self, organization_id: str) -> Sequence[Location]:
        rows = self._query("SELECT * FROM locations WHERE organization_id = ? ORDER BY id",
                           [organization_id])
        return [from_row(Location, row) for row in rows]

    def list_stock_rows(self, organization_id: str) -> Sequence[StockRow]:
        rows = self._query("SELECT * FROM stock_rows WHERE organization_id = ?"
                           " ORDER BY date, location_id, product_id", [organization_id])
        return [StockRow(**dict(row)) for row in rows]

    def stock_rows_page(self, organization_id: str, order: str, descending: bool,
                        after: tuple[str, str, str] | None, offset: int,
                        limit: int) -> Sequence[StockRow]:
        fields = ", ".join(STOCK_ROW_ORDERS[order])
        direction, beyond = ("DESC", "<") if descending else ("ASC", ">")
        sql, parameters = "SELECT * FROM stock_rows WHERE organization_id = ?", [organization_id]
        if after is not None:
            sql += f" AND ({fields}) {beyond} (?, ?, ?)"
            parameters += list(after)
        ordered = ", ".join(f"{field} {direction}" for field in STOCK_ROW_ORDERS[order])
        rows = self._query(sql + f" ORDER BY {ordered} LIMIT ? OFFSET ?",
                           [*parameters, limit, 0 if after is not None else offset])
        return [StockRow(**dict(row)) for row in rows]

    def stock_row_count(self, organization_id: str) -> int:
        return self._query("SELECT COUNT(*) FROM stock_rows WHERE organization_id = ?",
                           [organization_id])[0][0]

    def get_stock_row(self, organization_id: str, location_id: str, product_id: str,
                      date: str) -> StockRow | None:
        with self._connection() as connection:
            return SqliteTransaction(connection, self._sealed).get_stock_rows(
                organization_id, [(location_id, product_id, date)]).get((location_id, product_id, date))

    def pending_events(self, limit: int) -> Sequence[Event]:
        rows = self._query("SELECT * FROM events WHERE published_at IS NULL ORDER BY seq LIMIT ?",
                           [limit])
        return [from_row(Event, row) for row in rows]

    def mark_published(self, event_ids: Sequence[str], at: datetime) -> None:
        self.transact(lambda tx: tx.mark_published(event_ids, at))

    def events_not_fanned_out(self, published_before: datetime, limit: int) -> Sequence[Event]:
        rows = self._query("SELECT * FROM events WHERE fanned_out_at IS NULL AND published_at IS NOT NULL"
                           " AND published_at < ? ORDER BY published_at, seq LIMIT ?",
                           [format_instant(published_before), limit])
        return [from_row(Event, row) for row in rows]

    def get_event(self, organization_id: str, event_id: str) -> Event | None:
        rows = self._query("SELECT * FROM events WHERE organization_id = ? AND id = ?",
                           [organization_id, event_id])
        return from_row(Event, rows[0]) if rows else None

    def list_events(self, organization_id: str, after: str | None, types: Sequence[str],
                    limit: int) -> Slice[Event]:
        start = cursors.read_position(after, "seq", "after") if after else 0
        sql = "SELECT * FROM events WHERE organization_id = ? AND seq > ?"
        parameters: list[Any] = [organization_id, start]
        if types:
            sql += f" AND type IN ({', '.join('?' for _ in types)})"
            parameters += list(types)
        rows = self._query(sql + " ORDER BY seq LIMIT ?", [*parameters, limit])
        # The cursor always advances to the last event read, so a consumer polls from there.
        last = rows[-1]["seq"] if rows else start
        return Slice([from_row(Event, row) for row in rows], cursors.write_position("seq", last))

    def list_subscriptions(self, organization_id: str) -> Sequence[WebhookSubscription]:
        rows = self._query("SELECT * FROM webhook_subscriptions WHERE organization_id = ?"
                           " AND deleted_at IS NULL ORDER BY id", [organization_id])
        return [self._sealed.from_row(WebhookSubscription, row) for row in rows]

    def get_subscription(self, organization_id: str, subscription_id: str) -> WebhookSubscription | None:
        with self._connection() as connection:
            return SqliteTransaction(connection, self._sealed).get_subscription(organization_id,
                                                                                subscription_id)

    def list_deliveries(self, organization_id: str, subscription_id: str, cursor: str | None,
                        limit: int) -> Slice[Delivery]:
        # By creation, not rowid: saving a delivery again (INSERT OR REPLACE) gives it a new rowid.
        sql = "SELECT * FROM deliveries WHERE organization_id = ? AND subscription_id = ?"
        parameters: list[Any] = [organization_id, subscription_id]
        if cursor:
            sql += " AND (created_at, id) < (?, ?)"
            parameters += cursors.read_moment(cursor, "log")
        rows = self._query(sql + " ORDER BY created_at DESC, id DESC LIMIT ?", [*parameters, limit + 1])
        last = rows[limit - 1] if len(rows) > limit else None
        next_cursor = cursors.write_moment("log", last["created_at"], last["id"]) if last else None
        return Slice([from_row(Delivery, row) for row in rows[:limit]], next_cursor)

    def pos_connections(self) -> Sequence[PosConnection]:
        return [self._sealed.from_row(PosConnection, row) for row in
                self._query("SELECT * FROM pos_connections ORDER BY organization_id, location_id")]

    def get_pos_connection(self, organization_id: str, location_id: str) -> PosConnection | None:
        with self._connection() as connection:
            return SqliteTransaction(connection, self._sealed).get_pos_connection(organization_id,
                                                                                  location_id)

    def get_sync_run(self, organization_id: str, sync_id: str) -> SyncRun | None:
        with self._connection() as connection:
            run = SqliteTransaction(connection, self._sealed).get_sync_run(sync_id)
        return run if run is not None and run.organization_id == organization_id else None

    def queued_sync_runs(self, limit: int) -> Sequence[SyncRun]:
        rows = self._query("SELECT * FROM sync_runs WHERE status = 'queued'"
                           " ORDER BY created_at, id LIMIT ?",
                           [limit])
        return [from_row(SyncRun, row) for row in rows]

    def running_sync_runs(self, limit: int) -> Sequence[SyncRun]:
        rows = self._query("SELECT * FROM sync_runs WHERE status = 'running' ORDER BY created_at LIMIT ?",
                           [limit])
        return [from_row(SyncRun, row) for row in rows]

    def last_sync_watermark(self, organization_id: str, location_id: str) -> str | None:
        rows = self._query("SELECT watermark FROM sync_runs WHERE organization_id = ? AND location_id = ?"
                           " AND status = 'succeeded' AND watermark IS NOT NULL"
                           " ORDER BY finished_at DESC, id DESC LIMIT 1", [organization_id, location_id])
        return rows[0]["watermark"] if rows else None

    def due_deliveries(self, now: datetime, limit: int,
                       skip_subscriptions: Collection[str] = ()) -> Sequence[Delivery]:
        stamp = format_instant(now)
        skipped = list(skip_subscriptions)
        skip = f" AND subscription_id NOT IN ({', '.join('?' * len(skipped))})" if skipped else ""
        rows = self._query(
            "SELECT * FROM deliveries WHERE state = 'pending'"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            f" AND (lease_until IS NULL OR lease_until <= ?){skip}"
            " ORDER BY next_attempt_at IS NULL, next_attempt_at, id LIMIT ?",
            [stamp, stamp, *skipped, limit])
        return [from_row(Delivery, row) for row in rows]

    def reencrypt_secrets(self, batch: int = 200) -> int:
        """Each table's rows in batches, one short write transaction each, read again inside it
        so a secret rotated meanwhile is not overwritten. Space freed by a value written in
        clear is zeroed (secure_delete) and the WAL truncated, so no copy of it is left."""
        rewritten = 0
        for table, model in _SEALED_TABLES:
            spec = SEALED[model]
            where = f" AND {spec.only_if} = 1" if spec.only_if else ""
            after = 0
            while True:
                with self._connection() as connection:
                    previous = connection.execute("PRAGMA secure_delete").fetchone()[0]
                    connection.execute("PRAGMA secure_delete = ON")
                    try:
                        changed, after = self.transact(
                            lambda tx: tx.reseal_rows(table, model, where, after, batch))
                    finally:
                        connection.execute(f"PRAGMA secure_delete = {int(previous)}")
                rewritten += changed
                if after is None:
                    break
        self._query("PRAGMA wal_checkpoint(TRUNCATE)")
        return rewritten

    def delete_expired_idempotency(self, now: datetime, batch: int = 500) -> int:
        """A batch per write transaction, so requests wait for the lock one batch at most."""
        deleted = 0
        while True:
            done = self.transact(lambda tx: tx.delete_expired_idempotency(now, batch))
            deleted += done
            if done < batch:
                return deleted

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        rows = self._query("SELECT * FROM api_keys WHERE key_hash = ?", [key_hash])
        return from_row(ApiKey, rows[0]) if rows else None

    def get_organization(self, organization_id: str) -> Organization | None:
        rows = self._query("SELECT * FROM organizations WHERE id = ?", [organization_id])
        return from_row(Organization, rows[0]) if rows else None

    def save_organization(self, organization: Organization) -> None:
        self.transact(lambda tx: tx.save_organization(organization))

    def save_api_key(self, key: ApiKey) -> None:
        self.transact(lambda tx: tx.save_api_key(key))


_SEALED_TABLES = (("webhook_subscriptions", WebhookSubscription), ("pos_connections", PosConnection),
                  ("idempotency", IdempotencyRecord))


def _snapshot_totals(rows: Sequence[sqlite3.Row], at: datetime) -> SnapshotTotals:
    """Totals over (quantity then, unit cost, recorded_at, revised_at) rows, summed as scaled
    integers so they stay exact: thousandths of a unit times ten-thousandths of money. Instants
    are fixed-width text, so the latest is the greatest."""
    quantity = sum(row[0] for row in rows)
    value = sum(row[0] * row[1] for row in rows if row[1] is not None)
    asked = format_instant(at)
    written = [max(row[2], row[3] or row[2]) for row in rows if row[2] is not None]
    latest = max((w for w in written if w > asked), default=None)
    return SnapshotTotals(len(rows), from_scaled_int(quantity, QUANTITY_PLACES),
                          from_scaled_int(value, QUANTITY_PLACES + MONEY_PLACES),
                          None if latest is None else parse_instant(latest))


def _setting_entry(row: sqlite3.Row) -> SettingEntry | None:
    if row["entry_id"] is None:
        return None
    revised = row["entry_revised_at"]
    return SettingEntry(row["entry_id"], parse_instant(row["entry_occurred_at"]),
                        parse_instant(row["entry_recorded_at"]),
                        None if revised is None else parse_instant(revised))


# An item's quantity at :at is the quantity after its last ledger entry at or before then
# (ties in ledger order): that entry (`s`, none before any) is found by one seek on
# ledger_by_item_time per item, then read by its rowid.
_SETTING_ENTRY = (
    "LEFT JOIN ledger AS s ON s.seq = (SELECT l.seq FROM ledger AS l"
    " WHERE l.organization_id = i.organization_id AND l.item_id = i.id AND l.occurred_at <= :at"
    " ORDER BY l.occurred_at DESC, l.seq DESC LIMIT 1)")
