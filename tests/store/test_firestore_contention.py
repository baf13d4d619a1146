"""Contention on Firestore (Google's emulator): a transaction that cannot get its turn is retried
in line, and when it gives up the caller gets a 503 `contention` with Retry-After, inside the
function's timeout, with nothing written. Never a 500."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from conftest import Api, new_organization
from inventory import bootstrap
from inventory.adapters.firestore import FirestoreStore
from inventory.domain.errors import Contention

pytestmark = pytest.mark.firestore


@pytest.fixture
def firestore_services(firestore_emulator, monkeypatch, tmp_path):
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INVENTORY_STORE", "firestore")
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_emulator)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", f"test-{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("INVENTORY_FEED_SETTLE_S", "0")
    monkeypatch.setenv("INVENTORY_FIRESTORE_CONTENTION_S", "1")  # give up after a second
    bootstrap.reset()
    yield bootstrap.services()
    bootstrap.reset()


class Holder:
    """Another writer's transaction that has read a document and keeps its lock until released
    (or for `hold_s` at most), as a slow request on another instance would."""

    def __init__(self, store, organization_id: str, item_id: str, hold_s: float = 8.0):
        self.release = threading.Event()
        self.holding = threading.Event()

        def hold(tx):
            tx.get_item(organization_id, item_id)
            self.holding.set()
            self.release.wait(hold_s)

        self.thread = threading.Thread(target=store.transact, args=(hold,), daemon=True)
        self.thread.start()
        assert self.holding.wait(10)

    def stop(self) -> None:
        self.release.set()
        self.thread.join(30)


def test_a_write_that_cannot_get_its_turn_is_a_503_with_retry_after_and_writes_nothing(
        gateway, firestore_services):
    organization_id, secret = new_organization(firestore_services)
    api = Api(gateway, secret, organization_id)
    item = api.item(api.location()["id"], quantity=10)
    holder = Holder(firestore_services.store, organization_id, item["id"])
    try:
        started = time.monotonic()
        refused = api.patch(f"/api/v1/inventory/{item['id']}",
                            {"quantity_change": -1, "reason_code": "SALE"}, idempotency_key="sale-1")
        took = time.monotonic() - started
    finally:
        holder.stop()
    assert refused.status == 503, refused
    assert refused.error["code"] == "contention" and refused.error["request_id"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert took < 30, took  # the HTTP functions' timeout (serverless.yaml): the caller got an answer
    assert api.get(f"/api/v1/inventory/{item['id']}").json["data"]["quantity"] == 10
    assert len(api.changes(item["id"])) == 1  # the opening entry only
    # Nothing was recorded under the key either: retrying it applies the sale once.
    retried = api.patch(f"/api/v1/inventory/{item['id']}",
                        {"quantity_change": -1, "reason_code": "SALE"}, idempotency_key="sale-1")
    assert retried.status == 200 and retried.json["data"]["quantity"] == 9, retried
    assert len(api.changes(item["id"])) == 2


def test_retries_keep_the_first_attempts_place_in_line_and_end_in_contention(
        firestore_services, monkeypatch):
    """Every retry begins as a retry of the first attempt's transaction (Firestore's
    `retry_transaction`, as the client library's own retries do); when the attempts run out the
    store raises Contention, not the RuntimeError of a bare `raise`."""
    from google.cloud.firestore_v1.services.firestore.client import FirestoreClient

    begun: list[tuple[bytes, bytes]] = []  # (the transaction's id, the id it retries)
    real_begin = FirestoreClient.begin_transaction

    def recording_begin(client, request=None, **kwargs):
        response = real_begin(client, request=request, **kwargs)
        options = request["options"] if isinstance(request, dict) else request.options
        retried = options.read_write.retry_transaction if options is not None else b""
        begun.append((response.transaction, bytes(retried)))
        return response

    services = firestore_services
    organization_id, _ = new_organization(services)
    store = FirestoreStore(services.settings.project, max_attempts=3)
    item_id = _an_item(organization_id)
    holder = Holder(services.store, organization_id, item_id)
    monkeypatch.setattr(FirestoreClient, "begin_transaction", recording_begin)
    try:
        def adjust(tx):
            item = tx.get_item(organization_id, item_id)
            tx.save_item(item.model_copy(update={"version": item.version + 1}))

        with pytest.raises(Contention) as refusal:
            store.transact(adjust)
    finally:
        monkeypatch.undo()
        holder.stop()
    assert refusal.value.code == "contention" and refusal.value.retry_after_s >= 1
    assert len(begun) == 3, begun
    first = begun[0][0]
    assert begun[0][1] == b"" and [retried for _, retried in begun[1:]] == [first, first]


def _an_item(organization_id: str) -> str:
    from decimal import Decimal

    from inventory.domain.codes import RoomType
    from inventory.domain.models import InventoryItem

    services = bootstrap.services()
    now = services.clock.now()
    item = InventoryItem(id=services.new_id("itm"), organization_id=organization_id,
                         product_id="p", product_name="Hot", sku="HOT-1", location_id="loc_x",
                         room_type=RoomType.SALES_FLOOR, quantity=Decimal(5), created_at=now,
                         updated_at=now, version=1)

    def create(tx):
        assert tx.find_active_item(organization_id, "loc_x", RoomType.SALES_FLOOR, "HOT-1") is None
        tx.save_item(item)  # a new item takes its place, read first in the same transaction

    services.store.transact(create)
    return item.id
