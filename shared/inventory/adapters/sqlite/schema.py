"""Schema migrations, applied in order on start; PRAGMA user_version records how far a file got."""
from __future__ import annotations

import sqlite3

# Quantities are stored as integers in thousandths and money in ten-thousandths, so sums and
# comparisons in SQL stay exact. Instants are fixed-width UTC ISO text, so text order is time order.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE organizations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL REFERENCES organizations(id),
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE locations (
        organization_id TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        time_zone TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (organization_id, id)
    );
    CREATE TABLE items (
        organization_id TEXT NOT NULL,
        id TEXT NOT NULL,
        product_id TEXT NOT NULL,
        product_name TEXT NOT NULL,
        sku TEXT NOT NULL,
        location_id TEXT NOT NULL,
        room_type TEXT NOT NULL,
        category TEXT,
        unit TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 0),
        reserved_quantity INTEGER NOT NULL CHECK (reserved_quantity >= 0),
        low_stock_threshold INTEGER,
        unit_cost INTEGER,
        unit_price INTEGER,
        low_stock INTEGER NOT NULL,
        last_sync TEXT,
        archived_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (organization_id, id)
    );
    CREATE UNIQUE INDEX items_one_active_per_place
        ON items (organization_id, location_id, room_type, sku) WHERE archived_at IS NULL;
    CREATE INDEX items_by_location ON items (organization_id, location_id, archived_at, id);
    CREATE INDEX items_by_update ON items (organization_id, updated_at);
    CREATE TABLE ledger (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        organization_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        location_id TEXT NOT NULL,
        quantity_change INTEGER NOT NULL,
        quantity_before INTEGER NOT NULL,
        quantity_after INTEGER NOT NULL,
        reason_code TEXT NOT NULL,
        notes TEXT,
        source TEXT NOT NULL,
        api_key_id TEXT,
        idempotency_key TEXT,
        transfer_id TEXT,
        sync_id TEXT,
        item_version INTEGER NOT NULL,
        occurred_at TEXT NOT NULL
    );
    CREATE INDEX ledger_by_item ON ledger (organization_id, item_id, seq);
    CREATE INDEX ledger_by_item_time ON ledger (organization_id, item_id, occurred_at, seq);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        organization_id TEXT NOT NULL,
        type TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        data TEXT NOT NULL,
        published_at TEXT
    );
    CREATE INDEX events_unpublished ON events (seq) WHERE published_at IS NULL;
    CREATE INDEX events_by_org ON events (organization_id, seq);
    CREATE TABLE idempotency (
        organization_id TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (organization_id, key)
    );
    """,
    # 2: webhook subscriptions and their deliveries.
    """
    CREATE TABLE webhook_subscriptions (
        organization_id TEXT NOT NULL,
        id TEXT NOT NULL,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        description TEXT,
        secret TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT,
        PRIMARY KEY (organization_id, id)
    );
    CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL,
        subscription_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_status_code INTEGER,
        last_error TEXT,
        next_attempt_at TEXT,
        lease_until TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        delivered_at TEXT
    );
    CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
    CREATE INDEX deliveries_by_subscription ON deliveries (organization_id, subscription_id, created_at, id);
    """,
    # 3: POS connections and sync runs.
    """
    CREATE TABLE pos_connections (
        organization_id TEXT NOT NULL,
        location_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        settings TEXT NOT NULL,
        secret TEXT,
        archive_missing INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (organization_id, location_id)
    );
    CREATE TABLE sync_runs (
        id TEXT PRIMARY KEY,
        organization_id TEXT NOT NULL,
        location_id TEXT NOT NULL,
        sync_type TEXT NOT NULL,
        status TEXT NOT NULL,
        summary TEXT NOT NULL,
        error TEXT,
        watermark TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
    );
    CREATE INDEX sync_runs_by_location ON sync_runs (organization_id, location_id, status, created_at);
    """,
    # 4: replay records belong to the API key that made the request, and a body that holds a
    # secret is stored sealed. Records kept per organization cannot be given an owner, and some
    # hold a webhook secret in clear: they are dropped (a retry across the upgrade is judged anew).
    """
    DROP TABLE idempotency;
    CREATE TABLE idempotency (
        organization_id TEXT NOT NULL,
        api_key_id TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        holds_secret INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        PRIMARY KEY (organization_id, api_key_id, key)
    );
    CREATE INDEX idempotency_sealed ON idempotency (organization_id) WHERE holds_secret = 1;
    """,
    # 5: an organization may require an Idempotency-Key; GET /inventory finds items by sku or product_id.
    """
    ALTER TABLE organizations ADD COLUMN require_idempotency_key INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX items_by_sku ON items (organization_id, sku, id) WHERE archived_at IS NULL;
    CREATE INDEX items_by_product ON items (organization_id, product_id, id) WHERE archived_at IS NULL;
    """,
    # 6: a running sync's lease, renewed by its worker; a run whose lease ran out is swept.
    """
    ALTER TABLE sync_runs ADD COLUMN lease_until TEXT;
    CREATE INDEX sync_runs_by_status ON sync_runs (status, created_at);
    """,
    # 7: items carry free-form attributes (JSON text); a location may have the client's own
    # code for it, unique in its organization.
    """
    ALTER TABLE items ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE locations ADD COLUMN code TEXT;
    CREATE UNIQUE INDEX locations_by_code ON locations (organization_id, code) WHERE code IS NOT NULL;
    """,
    # 8: effective time. An entry keeps when it was recorded besides when it happened (entries
    # before this were recorded when they happened) and, for a count, the quantity it found; an
    # organization chooses how far back a change may be dated. A backdated change reads and
    # rewrites the item's entries after its instant through ledger_by_item_time.
    """
    ALTER TABLE ledger ADD COLUMN recorded_at TEXT;
    UPDATE ledger SET recorded_at = occurred_at;
    ALTER TABLE ledger ADD COLUMN counted_quantity INTEGER;
    ALTER TABLE organizations ADD COLUMN backdating_window_days INTEGER NOT NULL DEFAULT 35;
    """,
    # 9: when an event's deliveries were made; the fan-out sweep reads those never made. Events
    # already published count as fanned out.
    """
    ALTER TABLE events ADD COLUMN fanned_out_at TEXT;
    UPDATE events SET fanned_out_at = published_at WHERE published_at IS NOT NULL;
    CREATE INDEX events_not_fanned_out ON events (published_at, seq) WHERE fanned_out_at IS NULL;
    """,
    # 10: dated stock rows posted through the Datawiz dialect, the latest per location, product, date.
    """
    CREATE TABLE stock_rows (
        organization_id TEXT NOT NULL,
        location_id TEXT NOT NULL,
        product_id TEXT NOT NULL,
        date TEXT NOT NULL,
        qty TEXT NOT NULL,
        original_price TEXT,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (organization_id, date, location_id, product_id)
    );
    """,
    # 11: the format a webhook subscription is sent in (native Standard Webhooks, or Square's).
    """
    ALTER TABLE webhook_subscriptions ADD COLUMN format TEXT NOT NULL DEFAULT 'native';
    """,
    # 12: lists read a page from a keyset key: Square's, each item's ledger by (occurred_at, id)
    # (store.ledger_by_time) and items most recently updated first (store.items_by_update);
    # Datawiz's stock rows by product (store.stock_rows_page; by date is the primary key).
    """
    CREATE INDEX ledger_by_item_time_id ON ledger (organization_id, item_id, occurred_at, id);
    CREATE INDEX items_by_update_id ON items (organization_id, updated_at, id) WHERE archived_at IS NULL;
    CREATE INDEX stock_rows_by_product ON stock_rows (organization_id, product_id, location_id, date);
    """,
    # 13: a replay record expires (service/unit_of_work.py); the local worker deletes the expired
    # ones through idempotency_by_expiry. Records kept before expired 24 hours after they were
    # written (whole seconds computed apart, so the microseconds are carried over exactly).
    """
    ALTER TABLE idempotency ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
    UPDATE idempotency SET expires_at = COALESCE(
        strftime('%Y-%m-%dT%H:%M:%S', substr(created_at, 1, 19), '+1 day') || substr(created_at, 20),
        '9999-12-31T23:59:59.999999Z');
    CREATE INDEX idempotency_by_expiry ON idempotency (expires_at);
    """,
    # 14: the late change that last re-derived an entry (its recorded_at and id), so a snapshot
    # can say when the history it reports was revised.
    """
    ALTER TABLE ledger ADD COLUMN revised_at TEXT;
    ALTER TABLE ledger ADD COLUMN revised_by TEXT;
    """,
    # 15: Square's changes. An entry keeps the client's own reference, team member and source
    # application; a transfer's two entries are found by its id (GET /v2/inventory/transfers/{id});
    # a location names the room its Square counts live in.
    """
    ALTER TABLE ledger ADD COLUMN reference_id TEXT;
    ALTER TABLE ledger ADD COLUMN team_member_id TEXT;
    ALTER TABLE ledger ADD COLUMN source_application TEXT;
    CREATE INDEX ledger_by_transfer ON ledger (organization_id, transfer_id) WHERE transfer_id IS NOT NULL;
    ALTER TABLE locations ADD COLUMN square_room_type TEXT NOT NULL DEFAULT 'sales_floor';
    """,
]


def migrate(connection: sqlite3.Connection) -> None:
    """Bring a database file up to the newest schema, one migration per transaction. What a
    migration drops is zeroed on disk (secure_delete), since older versions kept secrets in clear."""
    previous = connection.execute("PRAGMA secure_delete").fetchone()[0]
    connection.execute("PRAGMA secure_delete = ON")
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in script.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    finally:
        connection.execute(f"PRAGMA secure_delete = {int(previous)}")
    if version < len(MIGRATIONS):
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no old page left in the WAL
