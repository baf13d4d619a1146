"""Secrets at rest: webhook signing secrets, POS credentials and the stored responses that carry a
secret are encrypted in the store (SQLite and Firestore), yet deliveries are still signed and POS
syncs still authenticate; the embedded store's files are private; keys rotate."""
from __future__ import annotations

import base64
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from conftest import Api
from inventory import bootstrap
from inventory.domain.codes import Scope
from inventory.service import delivery, sync
from inventory.service.admin import create_api_key
from old_schema import sqlite_file_at_version
from pos_server import PosServer
from receiver import Receiver

KEY_ENV = "INVENTORY_WEBHOOK_SECRET_KEY"


@pytest.fixture
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    bootstrap.reset()


def stored_bytes(services) -> bytes:
    """Everything the store holds, as raw as it can be read: the SQLite files byte for byte, or
    every Firestore document of every collection (and subcollection) as the emulator returns it."""
    settings = services.settings
    if settings.store == "sqlite":
        return b"".join(path.read_bytes() for path in sorted(settings.data_dir.glob("inventory.sqlite3*")))
    client = services.store.client

    def walk(collections):
        for collection in collections:
            for document in collection.stream():
                yield repr(document.to_dict()).encode()
                yield from walk(document.reference.collections())
    return b"".join(walk(client.collections()))


def forms_of(secret: str) -> list[bytes]:
    """The secret as text, and a webhook secret's key bytes in every encoding likely on disk."""
    forms = [secret.encode()]
    if secret.startswith("whsec_"):
        raw = base64.b64decode(secret.removeprefix("whsec_"))
        forms += [secret.removeprefix("whsec_").encode(), raw, raw.hex().encode()]
    return forms


def assert_not_stored(services, *secrets: str) -> None:
    raw = stored_bytes(services)
    assert raw, "nothing read from the store"
    for secret in secrets:
        for form in forms_of(secret):
            assert form not in raw, f"{secret[:10]}… is stored in clear"


def test_webhook_secret_is_encrypted_at_rest_and_deliveries_are_still_signed(loopback_allowed, api, item):
    receiver = Receiver()
    try:
        created = api.post("/api/v1/webhooks", {"url": receiver.url(), "events": ["inventory.updated"]})
        assert created.status == 201, created
        secret = created.json["data"]["secret"]
        rotated = api.post(f"/api/v1/webhooks/{created.json['data']['id']}/rotate-secret")
        assert rotated.status == 200, rotated
        new_secret = rotated.json["data"]["secret"]
        assert api.patch(f"/api/v1/inventory/{item['id']}",
                         {"quantity_change": -1, "reason_code": "SALE"}).status == 200
        services = bootstrap.services()
        for due in delivery.due(services, 10):
            delivery.deliver(services, due.id)
        got = receiver.wait_for(1)[0]
        assert Webhook(new_secret).verify(got["body"], got["headers"])["type"] == "inventory.updated"
        assert_not_stored(services, secret, new_secret)
    finally:
        receiver.stop()


def test_pos_token_is_encrypted_at_rest_and_the_sync_still_authenticates(loopback_allowed, api, location):
    token = "pos-token-" + "7f3a9c" * 6
    pos = PosServer([{"sku": "A", "quantity": 5, "updated_at": "2026-11-01T10:00:00Z"}], token=token)
    try:
        response = api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                               {"kind": "http", "settings": {"base_url": pos.url}, "secret": token})
        assert response.status == 200 and response.json["data"]["has_secret"] is True, response
        queued = api.post("/api/v1/inventory/sync", {"location_id": location["id"], "sync_type": "full"})
        services = bootstrap.services()
        run = sync.run_sync(services, queued.json["data"]["id"])
        assert run.status.value == "succeeded", run
        assert pos.requests and all(r["authorization"] == f"Bearer {token}" for r in pos.requests)
        assert_not_stored(services, token)
    finally:
        pos.stop()


def test_s3_credentials_are_encrypted_at_rest(loopback_allowed, api, location, services):
    secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "q9z8" * 4
    response = api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection", {
        "kind": "s3", "secret": f"AKIAEXAMPLE7Q2W3E4R5:{secret_key}",
        "settings": {"bucket": "pos-exports", "endpoint_url": "http://127.0.0.1:9"}})
    assert response.status == 200, response
    assert_not_stored(services, secret_key)
    found = services.store.transact(lambda tx: tx.get_pos_connection(api.organization_id, location["id"]))
    assert found.secret == f"AKIAEXAMPLE7Q2W3E4R5:{secret_key}"  # read back whole


def test_another_key_of_the_organization_never_gets_the_secret_by_replay(loopback_allowed, gateway, api,
                                                                         services):
    """Idempotency records belong to the API key that made the request: another key's request
    with the same Idempotency-Key and body is a request of its own, and a stored response that
    holds a secret is stored encrypted."""
    _, second = create_api_key(services, api.organization_id, "second key")
    colleague = Api(gateway, second, api.organization_id)
    body = {"url": "http://127.0.0.1:9/hook", "events": ["inventory.updated"]}
    first = api.post("/api/v1/webhooks", body, idempotency_key="hook-1")
    assert first.status == 201, first
    theirs = colleague.post("/api/v1/webhooks", body, idempotency_key="hook-1")
    assert theirs.status == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json["data"]["id"] != first.json["data"]["id"]
    assert theirs.json["data"]["secret"] != first.json["data"]["secret"]
    # The key that made the request gets its own response again, secret included (its first
    # answer may have been lost on the way).
    again = api.post("/api/v1/webhooks", body, idempotency_key="hook-1")
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    mine_again = colleague.post("/api/v1/webhooks", body, idempotency_key="hook-1")
    assert mine_again.headers["Idempotent-Replayed"] == "true" and mine_again.json == theirs.json
    assert len(api.get("/api/v1/webhooks").json["data"]) == 2
    assert_not_stored(services, first.json["data"]["secret"], theirs.json["data"]["secret"])


def test_rotated_secret_replay_is_for_the_rotating_key_only(loopback_allowed, gateway, api, services):
    _, second = create_api_key(services, api.organization_id, "second key")
    colleague = Api(gateway, second, api.organization_id)
    created = api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"]})
    path = f"/api/v1/webhooks/{created.json['data']['id']}/rotate-secret"
    rotated = api.post(path, idempotency_key="rotate-1")
    theirs = colleague.post(path, idempotency_key="rotate-1")
    assert theirs.status == 200 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.json["data"]["secret"] != rotated.json["data"]["secret"]
    assert_not_stored(services, created.json["data"]["secret"], rotated.json["data"]["secret"],
                      theirs.json["data"]["secret"])


def test_idempotency_is_still_per_key_for_other_writes(gateway, api, item, services):
    """A PATCH retried by the key that made it is replayed; the same Idempotency-Key sent by
    another key of the organization is that key's own request."""
    _, second = create_api_key(services, api.organization_id, "second key")
    colleague = Api(gateway, second, api.organization_id)
    body = {"quantity_change": -1, "reason_code": "SALE"}
    assert api.patch(f"/api/v1/inventory/{item['id']}", body, idempotency_key="sale-9").status == 200
    replay = api.patch(f"/api/v1/inventory/{item['id']}", body, idempotency_key="sale-9")
    assert replay.headers["Idempotent-Replayed"] == "true"
    theirs = colleague.patch(f"/api/v1/inventory/{item['id']}", body, idempotency_key="sale-9")
    assert theirs.status == 200 and "Idempotent-Replayed" not in theirs.headers
    assert api.get(f"/api/v1/inventory/{item['id']}").json["data"]["quantity"] == 8


# -- the embedded store's files --------------------------------------------------------------

def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def sqlite_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("INVENTORY_STORE", "sqlite")
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv("INVENTORY_SECRET_KEY_FILE", raising=False)
    bootstrap.reset()
    yield tmp_path / "data"
    bootstrap.reset()


def test_data_dir_database_and_key_file_are_private(sqlite_backend, gateway, monkeypatch):
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    os.umask(0o022)  # what a shell usually has: files 0644, folders 0755 unless made otherwise
    from conftest import new_organization
    services = bootstrap.services()
    organization_id, key = new_organization(services)
    created = Api(gateway, key, organization_id).post(
        "/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"]})
    assert created.status == 201, created
    data = sqlite_backend
    assert mode(data) == 0o700
    files = sorted(data.glob("inventory.sqlite3*"))
    assert data / "inventory.sqlite3" in files and len(files) >= 2  # the WAL and its index too
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    assert mode(data / "secret-keys") == 0o600


def test_existing_world_readable_data_dir_and_database_are_made_private(sqlite_backend):
    sqlite_backend.mkdir(mode=0o755)
    os.chmod(sqlite_backend, 0o755)
    sqlite3.connect(sqlite_backend / "inventory.sqlite3").close()
    os.chmod(sqlite_backend / "inventory.sqlite3", 0o644)
    bootstrap.services().store.list_locations("org_x")
    assert mode(sqlite_backend) == 0o700
    assert mode(sqlite_backend / "inventory.sqlite3") == 0o600


# -- keys: the ring, rotation, refusals -----------------------------------------------------

def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def subscribe_and_sync_secret(gateway, services) -> tuple[Api, str, str]:
    from conftest import new_organization
    organization_id, key = new_organization(services)
    api = Api(gateway, key, organization_id)
    created = api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"]})
    assert created.status == 201, created
    location = api.location()
    assert api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                       {"kind": "http", "settings": {"base_url": "http://127.0.0.1:9"},
                        "secret": "tok-abc"}).status == 200
    return api, created.json["data"]["id"], location["id"]


def read_secrets(services, api: Api, subscription_id: str, location_id: str) -> tuple[str, str]:
    return services.store.transact(lambda tx: (
        tx.get_subscription(api.organization_id, subscription_id).secret,
        tx.get_pos_connection(api.organization_id, location_id).secret))


def test_key_rotation_old_key_still_opens_then_reencrypt_moves_everything_to_the_new_key(
        backend, gateway, monkeypatch):
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    old, new = new_key(), new_key()
    monkeypatch.setenv(KEY_ENV, old)
    bootstrap.reset()
    services = bootstrap.services()
    api, subscription_id, location_id = subscribe_and_sync_secret(gateway, services)
    secrets_before = read_secrets(services, api, subscription_id, location_id)
    assert secrets_before[1] == "tok-abc"

    # Phase 1 and 2: the new key joins the ring, then seals; the old one still opens.
    monkeypatch.setenv(KEY_ENV, f"{new},{old}")
    bootstrap.reset()
    services = bootstrap.services()
    assert read_secrets(services, api, subscription_id, location_id) == secrets_before

    # The admin command seals every stored secret under the new key ...
    from inventory import cli
    assert cli.main(["reencrypt-secrets"]) == 0
    # ... so the old key can go.
    monkeypatch.setenv(KEY_ENV, new)
    bootstrap.reset()
    services = bootstrap.services()
    assert read_secrets(services, api, subscription_id, location_id) == secrets_before
    assert cli.main(["reencrypt-secrets"]) == 0  # nothing left to move

    # A ring without the key that sealed them cannot open them, and says so.
    monkeypatch.setenv(KEY_ENV, old)
    bootstrap.reset()
    with pytest.raises(Exception, match="no key in INVENTORY_WEBHOOK_SECRET_KEY opens"):
        read_secrets(bootstrap.services(), api, subscription_id, location_id)


def test_a_sealed_secret_copied_to_another_record_does_not_open(sqlite_backend, gateway, monkeypatch):
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    services = bootstrap.services()
    api, first_id, _ = subscribe_and_sync_secret(gateway, services)
    second = api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/other", "events": ["*"]})
    db = sqlite3.connect(services.settings.sqlite_path)
    db.execute("UPDATE webhook_subscriptions SET secret = (SELECT secret FROM webhook_subscriptions"
               " WHERE id = ?) WHERE id = ?", (first_id, second.json["data"]["id"]))
    db.commit()
    db.close()
    with pytest.raises(Exception, match="does not open"):
        services.store.transact(
            lambda tx: tx.get_subscription(api.organization_id, second.json["data"]["id"]))


def write_raw(services, api: Api, subscription_id: str, location_id: str, subscription_secret: str,
              pos_secret: str, legacy_replay_body: str) -> None:
    """What a version that stored secrets in clear left: the secrets, and a replay record kept
    per organization (no API key) holding a webhook secret."""
    if services.settings.store == "sqlite":
        db = sqlite3.connect(services.settings.sqlite_path)
        db.execute("UPDATE webhook_subscriptions SET secret = ? WHERE id = ?",
                   (subscription_secret, subscription_id))
        db.execute("UPDATE pos_connections SET secret = ? WHERE location_id = ?", (pos_secret, location_id))
        db.commit()
        db.close()
        return  # the schema migration already dropped replay records kept per organization
    from inventory.adapters.firestore.transaction import digest
    client = services.store.client
    client.collection("webhook_subscriptions").document(subscription_id).update(
        {"secret": subscription_secret})
    client.collection("pos_connections").document(digest(api.organization_id, location_id)).update(
        {"secret": pos_secret})
    client.collection("idempotency").document(digest(api.organization_id, "hook-0")).set(
        {"organization_id": api.organization_id, "key": "hook-0", "fingerprint": "f", "status": 201,
         "body": legacy_replay_body, "created_at": "2026-11-30T10:00:00.000000Z"})


def test_a_secret_stored_in_clear_before_encryption_is_read_and_then_sealed(backend, gateway, monkeypatch):
    """An upgraded store holds secrets written in clear: they are read as they are, and the admin
    command seals them (and deletes the replay records kept per organization)."""
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    bootstrap.reset()
    services = bootstrap.services()
    api, subscription_id, location_id = subscribe_and_sync_secret(gateway, services)
    legacy = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    replayed = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    write_raw(services, api, subscription_id, location_id, legacy, "tok-legacy-7c1e",
              f'{{"data": {{"secret": "{replayed}"}}}}')
    assert read_secrets(services, api, subscription_id, location_id) == (legacy, "tok-legacy-7c1e")
    from inventory import cli
    assert cli.main(["reencrypt-secrets"]) == 0
    assert read_secrets(services, api, subscription_id, location_id) == (legacy, "tok-legacy-7c1e")
    assert_not_stored(services, legacy, "tok-legacy-7c1e", replayed)


def test_upgrading_drops_the_replay_records_kept_per_organization_and_leaves_no_copy(sqlite_backend):
    """Before, replay records were per organization, and the one of a POST /webhooks held the
    secret in clear: the migration cannot give them an owner, so it drops them, zeroing their pages."""
    db = sqlite_file_at_version(sqlite_backend / "inventory.sqlite3", 3, wal=True)  # before owners
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    db.execute("INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
               ("org_1", "hook-1", "f", 201, f'{{"data": {{"secret": "{secret}"}}}}',
                "2026-11-30T10:00:00.000000Z"))
    db.close()
    assert secret.encode() in (sqlite_backend / "inventory.sqlite3").read_bytes()
    services = bootstrap.services()
    services.store.list_locations("org_1")  # opening the store migrates it
    assert services.store.transact(lambda tx: tx.get_idempotency("org_1", "key_1", "hook-1")) is None
    assert_not_stored(services, secret)


@pytest.mark.parametrize("ring", ["not base64!", base64.b64encode(b"short").decode(), " , "])
def test_a_malformed_key_ring_is_refused_without_echoing_it(sqlite_backend, gateway, monkeypatch, ring):
    monkeypatch.setenv(KEY_ENV, ring)
    bootstrap.reset()
    services = bootstrap.services()
    from conftest import new_organization
    organization_id, key = new_organization(services)  # what needs no secret still works
    assert Api(gateway, key, organization_id).get("/api/v1/inventory").status == 200
    with pytest.raises(ValueError, match=KEY_ENV) as refused:
        bootstrap.build_secret_box(services.settings).seal("x", "test")
    assert ring.strip(" ,") == "" or ring not in str(refused.value)


def test_the_cloud_store_without_a_key_refuses_to_seal_rather_than_invent_one(monkeypatch, tmp_path):
    """Against real Firestore the key comes from Secret Manager; a function without it must not
    make up a key of its own (another instance could never open what it sealed)."""
    from inventory.settings import Settings
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("INVENTORY_SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("INVENTORY_STORE", "firestore")
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    box = bootstrap.build_secret_box(Settings.from_environment())
    with pytest.raises(ValueError, match=KEY_ENV):
        box.seal("x", "test")
    assert not (tmp_path / "data").exists()


def test_admin_tool_prints_a_new_key_and_reencrypts(sqlite_backend, tmp_path):
    environment = dict(os.environ, INVENTORY_STORE="sqlite", INVENTORY_DATA_DIR=str(sqlite_backend))
    environment.pop(KEY_ENV, None)
    admin = [sys.executable, "-m", "inventory.cli"]
    printed = subprocess.run([*admin, "new-secret-key"], env=environment, capture_output=True,
                             text=True, check=True).stdout.strip()
    assert len(base64.b64decode(printed)) == 32
    done = subprocess.run([*admin, "reencrypt-secrets"], env=environment, capture_output=True,
                          text=True, check=True)
    assert "0 secrets" in done.stdout
