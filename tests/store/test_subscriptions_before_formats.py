"""Subscriptions stored before webhooks had formats read back in the native format and are
delivered as before: a SQLite file at the schema before migrates in place, and Firestore documents
without the field are read as they are."""
from __future__ import annotations

import sqlite3

import pytest

from inventory import bootstrap
from inventory.domain.webhooks import WebhookFormat, WebhookSubscription

CREATED = "2026-01-05T12:00:00.000000Z"


def test_a_sqlite_file_from_before_migrates_and_its_subscriptions_are_native(tmp_path, monkeypatch):
    from inventory.adapters.sqlite.schema import MIGRATIONS
    monkeypatch.setenv("INVENTORY_STORE", "sqlite")
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    bootstrap.reset()
    (tmp_path / "data").mkdir()
    db = sqlite3.connect(tmp_path / "data" / "inventory.sqlite3", isolation_level=None)
    for script in MIGRATIONS[:10]:  # the schema as the version before kept it
        db.executescript(script)
    db.execute("PRAGMA user_version = 10")
    db.close()
    services = bootstrap.services()  # opening the store migrates it
    try:
        services.store.transact(lambda tx: tx.save_subscription(WebhookSubscription(
            id="whk_old", organization_id="org_1", url="https://hooks.example.com/x",
            events=("inventory.updated",), secret="whsec_" + "A" * 44, created_at=CREATED,
            updated_at=CREATED)))
        db = sqlite3.connect(tmp_path / "data" / "inventory.sqlite3", isolation_level=None)
        assert db.execute("SELECT format FROM webhook_subscriptions").fetchall() == [("native",)]
        db.close()
        found = services.store.get_subscription("org_1", "whk_old")
        assert found.format is WebhookFormat.NATIVE
        [wanting] = services.store.transact(lambda tx: tx.subscriptions_for("org_1", "inventory.updated"))
        assert wanting.id == "whk_old"
    finally:
        bootstrap.reset()


@pytest.mark.firestore
def test_firestore_subscription_documents_from_before_are_native(backend):
    if backend != "firestore":
        pytest.skip("the Firestore documents")
    services = bootstrap.services()
    store = services.store
    old = WebhookSubscription(id="whk_old", organization_id="org_1", url="https://hooks.example.com/x",
                              events=("inventory.updated",), secret="whsec_" + "A" * 44,
                              created_at=CREATED, updated_at=CREATED)
    store.transact(lambda tx: tx.save_subscription(old))
    document = store.client.collection("webhook_subscriptions").document("whk_old")
    row = document.get().to_dict()
    del row["format"]
    document.set(row)
    assert store.get_subscription("org_1", "whk_old").format is WebhookFormat.NATIVE
    [wanting] = store.transact(lambda tx: tx.subscriptions_for("org_1", "inventory.updated"))
    assert wanting.id == "whk_old" and wanting.secret == old.secret
