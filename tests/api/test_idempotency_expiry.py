"""Replay records expire: an Idempotency-Key is kept for INVENTORY_IDEMPOTENCY_TTL_S (24 hours by
default), after which the same key is a new request, on every store. SQLite's expired records are
deleted by the local worker's sweep; Firestore's by the TTL policy on `idempotency.expires_at`
(infra/firestore.tf), which Google's emulator does not run: there, as in the cloud before the
policy gets to a record, the read rule alone makes an expired key new."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from api.test_seed_calls import stored_idempotency_records
from inventory import bootstrap
from inventory.local.worker import DeliveryWorker
from inventory.settings import Settings
from manual_clock import ManualClock

SALE = {"quantity_change": -1, "reason_code": "SALE"}


@pytest.fixture
def clock(services) -> ManualClock:
    clock = ManualClock(datetime.now(timezone.utc).replace(microsecond=250_001))
    services.clock = clock
    return clock


@pytest.fixture
def one_hour_ttl(backend, monkeypatch):
    monkeypatch.setenv("INVENTORY_IDEMPOTENCY_TTL_S", "3600")
    bootstrap.reset()


def sell(api, item_id: str, key: str, body: dict = SALE):
    response = api.patch(f"/api/v1/inventory/{item_id}", body, idempotency_key=key)
    assert response.status == 200, response
    return response


def replayed(response) -> bool:
    return response.headers.get("Idempotent-Replayed") == "true"


def quantity(api, item_id: str):
    return api.get(f"/api/v1/inventory/{item_id}").json["data"]["quantity"]


def test_a_key_is_replayed_until_it_expires_after_24_hours_and_is_a_new_request_from_then(api, clock):
    item = api.item(api.location()["id"], quantity=10)
    first = sell(api, item["id"], "sale-1")
    clock.advance(hours=24, microseconds=-1)  # the last instant of the window
    retry = sell(api, item["id"], "sale-1")
    assert replayed(retry) and retry.json == first.json and quantity(api, item["id"]) == 9

    clock.advance(microseconds=1)  # expires_at itself: the record is gone for the service
    anew = sell(api, item["id"], "sale-1")
    assert not replayed(anew) and anew.json["data"]["quantity"] == 8
    assert len(api.changes(item["id"])) == 3  # the opening count and two sales
    # The new request's reply is the one kept now, for another 24 hours.
    clock.advance(hours=23)
    again = sell(api, item["id"], "sale-1")
    assert replayed(again) and again.json == anew.json and quantity(api, item["id"]) == 8


def test_after_expiry_the_key_may_carry_another_body(api, clock):
    item = api.item(api.location()["id"], quantity=10)
    sell(api, item["id"], "order-7")
    refused = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -3, "reason_code": "SALE"},
                        idempotency_key="order-7")
    assert refused.status == 422 and refused.error["code"] == "idempotency_key_reused"
    clock.advance(hours=24)
    other = sell(api, item["id"], "order-7", {"quantity_change": -3, "reason_code": "SALE"})
    assert not replayed(other) and quantity(api, item["id"]) == 6


def test_the_replay_window_is_set_by_the_environment(one_hour_ttl, api, clock):
    item = api.item(api.location()["id"], quantity=10)
    sell(api, item["id"], "sale-1")
    clock.advance(minutes=59)
    assert replayed(sell(api, item["id"], "sale-1"))
    clock.advance(minutes=1)
    assert not replayed(sell(api, item["id"], "sale-1")) and quantity(api, item["id"]) == 8


@pytest.mark.parametrize("value", ["0", "-60", "nan", "inf", "a day"])
def test_a_replay_window_that_is_not_a_positive_number_of_seconds_is_refused_at_start(monkeypatch, value):
    monkeypatch.setenv("INVENTORY_IDEMPOTENCY_TTL_S", value)
    with pytest.raises(ValueError):
        Settings.from_environment()


def test_the_record_keeps_its_expiry_for_the_store_to_delete_it_by(api, clock, services):
    """On Firestore `expires_at` is a timestamp (the TTL policy ignores any other type); on SQLite
    the fixed-width text every instant is stored as."""
    item = api.item(api.location()["id"], quantity=10)
    sell(api, item["id"], "sale-1")
    expected = clock.now() + timedelta(hours=24)
    if services.settings.store == "sqlite":
        stored = services.store._query("SELECT expires_at FROM idempotency WHERE key = 'sale-1'")[0][0]
        assert stored == expected.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    else:
        documents = [d.to_dict() for d in services.store.client.collection("idempotency")
                     .where("organization_id", "==", api.organization_id).get()]
        stored = next(d for d in documents if d["key"] == "sale-1")["expires_at"]
        assert isinstance(stored, datetime) and stored == expected


def test_the_local_worker_deletes_the_expired_records_and_keeps_the_others(sqlite_api, clock, services):
    api = sqlite_api
    item = api.item(api.location()["id"], quantity=10)
    sell(api, item["id"], "early")
    clock.advance(hours=2)
    sell(api, item["id"], "late")
    # The location's and the item's creation were sent with keys too, with "early".
    assert stored_idempotency_records(services, api.organization_id) == 4

    clock.advance(hours=23)  # "early" expired an hour ago, "late" has an hour to go
    DeliveryWorker(services).sync_once()
    assert stored_idempotency_records(services, api.organization_id) == 1
    assert replayed(sell(api, item["id"], "late"))
    assert not replayed(sell(api, item["id"], "early")) and quantity(api, item["id"]) == 7


def test_the_sweep_deletes_in_batches_until_none_is_left(sqlite_api, clock, services):
    api = sqlite_api
    item = api.item(api.location()["id"], quantity=100)
    for n in range(7):
        sell(api, item["id"], f"sale-{n}")
    clock.advance(hours=24)
    assert services.store.delete_expired_idempotency(clock.now(), batch=3) == 9  # and 2 creations
    assert stored_idempotency_records(services, api.organization_id) == 0


@pytest.fixture
def sqlite_api(backend, api):
    if backend != "sqlite":
        pytest.skip("Firestore's TTL policy deletes expired records, not the worker")
    return api


def test_records_kept_before_expiry_existed_expire_24_hours_after_they_were_written(sqlite_backend):
    """The migration gives each stored record its expiry, to the microsecond, at the edges of a
    year and of the calendar too."""
    from inventory.adapters.sqlite.schema import MIGRATIONS
    sqlite_backend.mkdir()
    db = sqlite3.connect(sqlite_backend / "inventory.sqlite3", isolation_level=None)
    for script in MIGRATIONS[:10]:  # the schema as the version before kept it
        db.executescript(script)
    db.execute("PRAGMA user_version = 10")
    written = {"k1": "2026-12-31T23:59:59.999999Z", "k2": "2026-11-30T10:00:00.000000Z",
               "k3": "0999-02-28T12:30:00.000001Z"}
    for key, created_at in written.items():
        db.execute("INSERT INTO idempotency VALUES ('org_1', 'key_1', ?, 'f', 200, '{}', 0, ?)",
                   (key, created_at))
    db.close()
    store = bootstrap.services().store
    expires = {key: store.transact(lambda tx: tx.get_idempotency("org_1", "key_1", key)).expires_at
               for key in written}
    assert expires == {key: datetime.fromisoformat(created_at.replace("Z", "+00:00")) + timedelta(hours=24)
                       for key, created_at in written.items()}


def test_a_firestore_record_written_before_expiry_existed_expires_24_hours_after_it(firestore_services):
    from inventory.adapters.firestore.transaction import idempotency_document_id
    services = firestore_services
    services.store.client.collection("idempotency").document(
        idempotency_document_id("org_1", "key_1", "k1")).set(
        {"organization_id": "org_1", "api_key_id": "key_1", "key": "k1", "fingerprint": "f",
         "status": 200, "body": "{}", "holds_secret": False, "created_at": "2026-11-30T10:00:00.000001Z"})
    record = services.store.transact(lambda tx: tx.get_idempotency("org_1", "key_1", "k1"))
    assert record.expires_at == datetime(2026, 12, 1, 10, 0, 0, 1, tzinfo=timezone.utc)


@pytest.fixture
def sqlite_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_STORE", "sqlite")
    bootstrap.reset()
    yield tmp_path / "data"
    bootstrap.reset()


@pytest.fixture
def firestore_services(backend):
    if backend != "firestore":
        pytest.skip("a Firestore document written by an older version")
    return bootstrap.services()
