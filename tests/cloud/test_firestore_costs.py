"""What each use case costs on Firestore, counted on Google's emulator: billed document reads,
writes and deletes, checked against the table under "### Cost model" in README.md.

The count is taken at the one place every Firestore call goes through: the RPCs of the client
library's `FirestoreClient` (batch_get_documents for document and transaction gets,
run_query for query get/stream, run_aggregation_query for count(), commit for batch and
transaction set/update/create/delete). What Firestore bills (its pricing page):
- a point read: 1 read per document asked for (one that finds nothing is counted as 1 read too,
  like a query that returns nothing);
- a query: 1 read per document returned and per document an offset skipped, and 1 read when it
  returns nothing;
- an aggregation (count()): 1 read per 1,000 index entries it matched, at least 1;
- a commit: 1 write per document set, updated or created; 1 delete per document deleted.

Functions run as in the cloud: Firestore store, events published to Pub/Sub (Google's
emulator), webhooks posted to a real receiver on loopback.
"""
from __future__ import annotations

import math
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from inventory import bootstrap
from inventory.adapters.pubsub import encode
from inventory.local.pubsub_emulator import PubSubEmulator
from inventory.service import delivery, outbox
from receiver import Receiver

pytestmark = pytest.mark.firestore

README = Path(__file__).resolve().parents[2] / "README.md"
EVENTS_TOPIC = "inventory-events"
DELIVERIES_TOPIC = "inventory-webhook-deliveries"


# -- the counting wrapper -------------------------------------------------------------------
@dataclass
class Bill:
    reads: int = 0
    writes: int = 0
    deletes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, reads: int = 0, writes: int = 0, deletes: int = 0) -> None:
        with self._lock:  # the dispatcher attempts deliveries on worker threads
            self.reads += reads
            self.writes += writes
            self.deletes += deletes


# Billable RPCs the store does not use today; the meter refuses them rather than miss them.
UNCOUNTED_RPCS = ("get_document", "list_documents", "batch_write", "update_document",
                  "create_document", "delete_document", "listen", "partition_query",
                  "execute_pipeline")


def _refuse(name: str):
    def refused(*args, **kwargs):
        raise AssertionError(f"Firestore RPC {name} is not counted by tests/cloud/test_firestore_costs.py")
    return refused


class Meter:
    """Counts the billed operations of every Firestore RPC this process sends while measuring."""

    def __init__(self, monkeypatch):
        from google.cloud.firestore_v1.services.firestore.client import FirestoreClient

        self.bill = Bill()  # outside `measure` blocks counts go here and are dropped
        meter = self
        batch_get, run_query = FirestoreClient.batch_get_documents, FirestoreClient.run_query
        aggregate, commit = FirestoreClient.run_aggregation_query, FirestoreClient.commit

        def batch_get_counted(client, *args, **kwargs):
            for response in batch_get(client, *args, **kwargs):
                if response._pb.WhichOneof("result"):  # found or missing: 1 read each
                    meter.bill.add(reads=1)
                yield response

        def run_query_counted(client, *args, **kwargs):
            documents = skipped = 0
            for response in run_query(client, *args, **kwargs):
                documents += response._pb.HasField("document")
                # The offset's skipped documents come before the first result; the emulator
                # repeats their number on each response, so the largest is the count.
                skipped = max(skipped, response._pb.skipped_results)
                yield response
            meter.bill.add(reads=max(1, documents + skipped))

        def aggregation_counted(client, *args, **kwargs):
            matched = 0
            for response in aggregate(client, *args, **kwargs):
                if response._pb.HasField("result"):
                    matched += sum(v.integer_value for v in response._pb.result.aggregate_fields.values())
                yield response
            meter.bill.add(reads=max(1, math.ceil(matched / 1000)))

        def commit_counted(client, request=None, **kwargs):
            writes = request["writes"] if isinstance(request, dict) else (
                request.writes if request is not None else kwargs.get("writes", []))
            kinds = [getattr(w, "_pb", w).WhichOneof("operation") for w in writes]
            meter.bill.add(writes=sum(k in ("update", "transform") for k in kinds),
                           deletes=kinds.count("delete"))
            return commit(client, request=request, **kwargs)

        monkeypatch.setattr(FirestoreClient, "batch_get_documents", batch_get_counted)
        monkeypatch.setattr(FirestoreClient, "run_query", run_query_counted)
        monkeypatch.setattr(FirestoreClient, "run_aggregation_query", aggregation_counted)
        monkeypatch.setattr(FirestoreClient, "commit", commit_counted)
        for name in UNCOUNTED_RPCS:  # a new kind of call must be counted before it is priced
            monkeypatch.setattr(FirestoreClient, name, _refuse(name))

    @contextmanager
    def measure(self) -> Iterator[Bill]:
        self.bill = Bill()
        try:
            yield self.bill
        finally:
            self.bill = Bill()


# -- the table in README.md -----------------------------------------------------------------
def readme_table() -> dict[str, tuple[int, int]]:
    """Rows of the table under README's "### Cost model": first cell -> (reads, writes)."""
    section = README.read_text().split("### Cost model", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) >= 3 and cells[1].isdigit() and cells[2].isdigit():
            rows[cells[0]] = (int(cells[1]), int(cells[2]))
    return rows


def assert_costs(operation: str, bill: Bill) -> None:
    table = readme_table()
    assert operation in table, f"README.md's cost table has no row {operation!r}; it has {sorted(table)}"
    assert bill.deletes == 0, f"{operation} deleted {bill.deletes} documents; README.md says it deletes none"
    assert (bill.reads, bill.writes) == table[operation], (
        f"README.md's cost table says {operation!r} costs {table[operation][0]} reads and "
        f"{table[operation][1]} writes; counted {bill.reads} reads and {bill.writes} writes. "
        "Update the table (and the cost per million adjustments below it) or the code.")


# -- fixtures: functions configured as in the cloud -------------------------------------------
@pytest.fixture(scope="module")
def pubsub_emulator():
    from inventory.local import emulators
    with emulators.pubsub() as host:
        yield host


@pytest.fixture
def backend(tmp_path, monkeypatch, firestore_emulator, pubsub_emulator) -> str:
    """Overrides conftest's: Firestore only, events to a Pub/Sub topic, as deployed."""
    project = f"cost-{uuid.uuid4().hex[:12]}"
    PubSubEmulator(pubsub_emulator, project).create_topic(EVENTS_TOPIC)
    PubSubEmulator(pubsub_emulator, project).create_topic(DELIVERIES_TOPIC)
    for name, value in {"INVENTORY_DATA_DIR": str(tmp_path / "data"), "INVENTORY_STORE": "firestore",
                        "INVENTORY_EVENTS": "pubsub", "INVENTORY_EVENTS_TOPIC": EVENTS_TOPIC,
                        "FIRESTORE_EMULATOR_HOST": firestore_emulator,
                        "PUBSUB_EMULATOR_HOST": pubsub_emulator, "GOOGLE_CLOUD_PROJECT": project,
                        "INVENTORY_FEED_SETTLE_S": "0", "INVENTORY_WEBHOOK_ALLOW_LOOPBACK": "1"}.items():
        monkeypatch.setenv(name, value)
    bootstrap.reset()
    yield "firestore"
    bootstrap.reset()


@pytest.fixture
def meter(monkeypatch) -> Meter:
    return Meter(monkeypatch)


def stocked_location(api, name: str, items: int, changes_per_item: int) -> tuple[dict, list[dict]]:
    """A location with `items` items, each with an opening entry and further bulk adjustments."""
    location = api.location(name)
    made = [api.item(location["id"], sku=f"{name}-{n:03}", quantity=1000) for n in range(items)]
    add_history(api, made, changes_per_item - 1)
    return location, made


def add_history(api, items: list[dict], changes: int) -> None:
    for _ in range(changes):
        response = api.post("/api/v1/inventory/bulk-update", {"updates": [
            {"id": item["id"], "quantity_change": -1, "reason_code": "SALE"} for item in items]})
        assert response.status == 200, response


def snapshot_bill(api, meter: Meter, location: dict, **query) -> Bill:
    return snapshot_page(api, meter, location, **query)[0]


def snapshot_page(api, meter: Meter, location: dict, **query) -> tuple[Bill, dict]:
    query = {"location_id": location["id"], "at": _now_iso(), **query}
    with meter.measure() as bill:
        response = api.get("/api/v1/inventory/snapshot", query=query)
    assert response.status == 200, response
    return bill, response.json


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- the costs --------------------------------------------------------------------------------
def test_an_adjustment_reads_three_documents_and_writes_five(api, item, meter):
    """The key, the Idempotency-Key's record (absent), the item; then the item, its ledger entry,
    the event, the idempotency record, and the event's published mark after Pub/Sub took it."""
    change = {"quantity_change": -1, "reason_code": "SALE"}
    with meter.measure() as bill:
        response = api.patch(f"/api/v1/inventory/{item['id']}", change, idempotency_key="sale-1")
    assert response.status == 200, response
    assert_costs("PATCH: one adjustment", bill)

    with meter.measure() as bill:
        retried = api.patch(f"/api/v1/inventory/{item['id']}", change, idempotency_key="sale-1")
    assert retried.json == response.json
    assert_costs("PATCH retried with the same Idempotency-Key", bill)


def test_a_bulk_update_costs_a_fixed_part_and_the_same_per_line(api, location, meter):
    items = [api.item(location["id"], sku=f"B-{n:03}", quantity=100) for n in range(100)]
    bills = {}
    for lines in (1, 100):
        with meter.measure() as bills[lines]:
            response = api.post("/api/v1/inventory/bulk-update", {"updates": [
                {"id": item["id"], "quantity_change": -1, "reason_code": "SALE"}
                for item in items[:lines]]})
        assert response.status == 200, response
    assert_costs("bulk update, 1 line", bills[1])
    assert_costs("bulk update, 100 lines", bills[100])
    per_line = ((bills[100].reads - bills[1].reads) / 99, (bills[100].writes - bills[1].writes) / 99)
    assert per_line == (1, 4), f"per bulk line: {per_line} (README.md says 1 read and 4 writes)"


def test_a_snapshot_reads_per_item_whatever_the_history(api, meter):
    small, small_items = stocked_location(api, "Ten", items=10, changes_per_item=3)
    short_history = snapshot_bill(api, meter, small)
    assert_costs("snapshot, 10 items", short_history)

    add_history(api, small_items, 12)  # 15 ledger entries per item now
    long_history = snapshot_bill(api, meter, small)
    assert (long_history.reads, long_history.writes) == (short_history.reads, short_history.writes), (
        "a snapshot's reads grew with the ledger history")

    large, _ = stocked_location(api, "Hundred", items=100, changes_per_item=3)
    assert_costs("snapshot, 100 items", snapshot_bill(api, meter, large))
    # The first page sums the whole location for the totals; later pages carry them in the
    # cursor and read only their own items (and one more, to know whether more follow).
    at = _now_iso()
    bill, first = snapshot_page(api, meter, large, at=at, limit=10)
    assert_costs("snapshot, first page of 10 of 100 items", bill)
    bill, second = snapshot_page(api, meter, large, at=at, limit=10,
                                 cursor=first["pagination"]["next_cursor"])
    assert_costs("snapshot, second page of 10 of 100 items", bill)
    assert second["data"]["totals"] == first["data"]["totals"]
    assert len(second["data"]["items"]) == 10 and second["pagination"]["has_more"]


def test_list_and_event_feed_pages(api, meter):
    location, _ = stocked_location(api, "List", items=101, changes_per_item=1)
    pages = {}
    for page in (1, 2):
        with meter.measure() as bill:
            pages[page] = api.get("/api/v1/inventory", query={"location_id": location["id"],
                                                              "limit": 50, "page": page})
        assert pages[page].status == 200 and len(pages[page].json["data"]) == 50, pages[page]
        assert_costs(f"list page {page} of 50 items", bill)
    # The cursor of page 1 starts page 2 after its last id: no offset, so no skipped items billed.
    with meter.measure() as bill:
        response = api.get("/api/v1/inventory", query={
            "location_id": location["id"], "limit": 50,
            "cursor": pages[1].json["pagination"]["next_cursor"]})
    assert response.status == 200 and response.json["data"] == pages[2].json["data"], response
    assert response.json["pagination"]["has_more"] and response.json["pagination"]["total"] == 101
    assert_costs("list page 2 of 50 items via cursor", bill)

    with meter.measure() as bill:
        response = api.get("/api/v1/events", query={"limit": 50})
    assert response.status == 200 and len(response.json["data"]) == 50, response
    assert_costs("event feed page of 50 events", bill)


def test_a_page_of_square_changes_reads_the_page_not_the_history(api, meter):
    """Square's batch-retrieve of one catalog object's changes, 10 a page: each page reads the
    key, the object's item (a count() and the item), its page of ledger entries from the cursor,
    and the locations (codes); 30 more entries of history change nothing."""
    location = api.location("Square")
    made = api.item(location["id"], sku="SQ-1", product_id="sq_prod", quantity=1000)
    add_history(api, [made], 20)  # 21 entries

    def pages() -> list[tuple[Bill, list[str]]]:
        found, cursor = [], None
        while True:
            with meter.measure() as bill:
                response = api.post("/v2/inventory/changes/batch-retrieve", {
                    "catalog_object_ids": ["sq_prod"], "limit": 10,
                    **({"cursor": cursor} if cursor else {})}, idempotency_key=False)
            assert response.status == 200, response
            found.append((bill, [(change.get("adjustment") or change["physical_count"])["id"]
                                 for change in response.json["changes"]]))
            cursor = response.json.get("cursor")
            if cursor is None:
                return found

    short = pages()
    assert [len(ids) for _, ids in short] == [10, 10, 1]
    assert_costs("Square changes, a page of 10", short[0][0])
    assert (short[1][0].reads, short[1][0].writes) == (short[0][0].reads, short[0][0].writes)
    add_history(api, [made], 30)  # 51 entries: the first pages read what they read before
    long = pages()
    assert [ids for _, ids in long[:2]] == [ids for _, ids in short[:2]]
    assert (long[1][0].reads, long[1][0].writes) == (short[1][0].reads, short[1][0].writes), (
        "a page of Square's changes read more as the ledger grew")


def test_a_page_of_datawiz_rows_reads_the_page_not_the_collection(api, location, meter):
    """GET /api/v1/product-inventory/ with page_size 10: the key, count() for `count`, the page's
    rows (by offset on page 1, from the `next` link's cursor after), and the locations (codes);
    40 more rows change nothing for a page read from its cursor."""
    from inventory.service.ports import StockRow

    def add_rows(numbers) -> None:
        rows = [StockRow(organization_id=api.organization_id, location_id=location["id"],
                         product_id=f"dw-{n:03}", date="2026-11-30", qty="1", original_price=None,
                         recorded_at="2026-11-30T12:00:00.000000Z") for n in numbers]
        bootstrap.services().store.transact(lambda tx: [tx.save_stock_row(r) for r in rows])

    def page(url: str, **query) -> tuple[Bill, dict]:
        with meter.measure() as bill:
            response = api.get(url, query=query or None)
        assert response.status == 200, response
        return bill, response.json

    add_rows(range(25))
    bill, first = page("/api/v1/product-inventory/", page_size=10)
    assert_costs("Datawiz rows, page 1 of 10", bill)
    bill, second = page(first["next"])
    assert_costs("Datawiz rows, a page of 10 from its next link", bill)
    assert [r["product_id"] for r in second["results"]] == [f"dw-{n:03}" for n in range(10, 20)]
    add_rows(range(25, 65))
    again, _ = page(first["next"])
    assert (again.reads, again.writes) == (bill.reads, bill.writes), (
        "a page of Datawiz rows read from its cursor read more as the collection grew")


@pytest.mark.parametrize("subscribers", [1, 3])
def test_delivering_an_event_costs_six_reads_and_three_writes_per_subscriber(api, location, meter,
                                                                            subscribers):
    item = api.item(location["id"], quantity=1000)
    receiver = Receiver()
    try:
        for n in range(subscribers):
            api.post("/api/v1/webhooks", {"url": receiver.url(f"/hook{n}"), "events": ["inventory.updated"]})
        api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
        services = bootstrap.services()
        event = services.store.list_events(api.organization_id, None, ("inventory.updated",), 10).items[-1]
        with meter.measure() as bill:  # webhook_dispatcher with the event's message, then
            made = delivery.dispatch(services, event)  # deliver_webhook with each delivery's
            delivered = [delivery.deliver(services, d.id) for d in made]
        assert [d.state.value for d in delivered] == ["succeeded"] * subscribers
        receiver.wait_for(subscribers)
        label = "1 subscriber" if subscribers == 1 else f"{subscribers} subscribers"
        assert_costs(f"deliver one event to {label}", bill)
    finally:
        receiver.stop()
    # README prices Pub/Sub at 1.5 kB per event message, above its 1,000-byte minimum per
    # request, and each delivery's message at that minimum.
    assert 1000 < pubsub_message_bytes(event) <= 1500, pubsub_message_bytes(event)
    assert delivery_message_bytes(made[0].id) < 1000, delivery_message_bytes(made[0].id)


def test_a_square_format_delivery_reads_the_items_location_too(api, location, meter):
    """Square's notification names the location by its code, read when the delivery is posted."""
    item = api.item(location["id"], quantity=1000)
    receiver = Receiver()
    try:
        api.post("/api/v1/webhooks", {"url": receiver.url(), "format": "square",
                                      "events": ["inventory.count.updated"]})
        api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
        services = bootstrap.services()
        event = services.store.list_events(api.organization_id, None, ("inventory.updated",), 10).items[-1]
        with meter.measure() as bill:
            made = delivery.dispatch(services, event)
            delivered = [delivery.deliver(services, d.id) for d in made]
        assert [d.state.value for d in delivered] == ["succeeded"]
        receiver.wait_for(1)
        assert_costs("deliver one event to 1 Square-format subscriber", bill)
    finally:
        receiver.stop()


def pubsub_message_bytes(event) -> int:
    """Pub/Sub's billed size of the message PubSubPublisher sends for `event`: data, attributes,
    20 bytes of timestamp and a message id (about 16 digits; 20 allowed)."""
    attributes = {"type": event.type, "organization_id": event.organization_id, "event_id": event.id}
    return len(encode(event).encode()) + sum(len(k) + len(v) for k, v in attributes.items()) + 20 + 20


def delivery_message_bytes(delivery_id: str) -> int:
    """The same for the message PubSubDeliveryQueue sends for one delivery."""
    return len(delivery_id) + len("delivery_id") + len(delivery_id) + 20 + 20


class _DeadPublisher:
    def publish(self, events):
        raise ConnectionError("the topic is unreachable")


def test_idle_timers_read_little_and_the_relay_a_read_and_a_write_per_event(api, location, meter):
    item = api.item(location["id"], quantity=1000)  # no threshold: one event per sale
    services = bootstrap.services()
    with meter.measure() as bill:  # outbox_relay's minute with nothing left behind
        assert outbox.relay_pending(services) == 0
    assert_costs("outbox relay tick, nothing pending", bill)
    with meter.measure() as bill:  # retry_webhook_deliveries' minute with nothing due
        assert delivery.queue_due(services) == []
    assert_costs("webhook retry tick, nothing due", bill)

    working = services.publisher_factory
    services.publisher_factory = _DeadPublisher
    services.__dict__.pop("publisher", None)
    for _ in range(10):
        api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
    services.publisher_factory = working
    services.__dict__.pop("publisher", None)
    with meter.measure() as bill:
        assert outbox.relay_pending(services) == 10
    assert_costs("outbox relay, 10 events left behind", bill)


def test_a_patch_without_an_idempotency_key_reads_the_organization_and_stores_nothing(api, item, meter):
    """Keyless (as seed 003 sends it): the organization is read for its setting instead of the
    key's record, and no record is written."""
    with meter.measure() as bill:
        response = api.patch(f"/api/v1/inventory/{item['id']}",
                             {"quantity_change": -1, "reason_code": "SALE"}, idempotency_key=False)
    assert response.status == 200, response
    assert_costs("PATCH without an Idempotency-Key", bill)


def test_a_sync_with_nothing_to_change_writes_each_confirmed_item_once(api, location, meter,
                                                                     pubsub_emulator):
    """run_sync's part of a full sync of 10 rows whose counts match: each item's last_sync is
    written (one write per item), and no ledger entry, version or inventory.updated event."""
    from pos_server import PosServer
    from inventory.service import sync

    services = bootstrap.services()
    PubSubEmulator(pubsub_emulator, services.settings.project).create_topic(services.settings.sync_topic)
    pos = PosServer([{"sku": f"S-{n:02}", "quantity": 5, "updated_at": "2026-11-01T10:00:00Z"}
                     for n in range(10)], page_size=100)
    try:
        response = api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                               {"kind": "http", "settings": {"base_url": pos.url}, "secret": pos.token})
        assert response.status == 200, response
        bills = []
        for _ in range(2):  # the first creates the 10 items; the second confirms them
            queued = api.post("/api/v1/inventory/sync", {"location_id": location["id"], "sync_type": "full"})
            assert queued.status == 202, queued
            with meter.measure() as bill:
                run = sync.run_sync(bootstrap.services(), queued.json["data"]["id"])
            assert run.status.value == "succeeded", run.error
            bills.append(bill)
    finally:
        pos.stop()
    assert (run.summary.seen, run.summary.unchanged) == (10, 10)
    assert_costs("POS sync run, 10 rows, nothing changed", bills[1])


def test_a_backdated_change_costs_a_read_and_a_write_per_later_entry_only(api, location, services,
                                                                          meter):
    """A change dated before k later entries reads them in one query and rewrites each: 4 + k reads
    (the key, the Idempotency-Key's record, the organization for its window, the item) and 7 + k
    writes (the item, its entry, inventory.updated and inventory.history_changed with their
    published marks, the idempotency record, the k rewritten entries). Older history costs nothing."""
    from manual_clock import ManualClock

    clock = ManualClock(datetime.now(timezone.utc) - timedelta(hours=1))
    services.clock = clock
    histories = {"1 later, 29 older": (29, 1), "10 later, 20 older": (20, 10),
                 "10 later, 0 older": (0, 10)}
    instants = {}
    for name, (older, later) in histories.items():
        item = api.item(location["id"], sku=name.replace(" ", "").replace(",", "-"), quantity=1000)
        for n in range(older + later):
            clock.advance(seconds=1)
            if n == older:
                instants[name] = (item, clock.advance(seconds=1) - timedelta(microseconds=500_000))
            response = api.patch(f"/api/v1/inventory/{item['id']}",
                                 {"quantity_change": -1, "reason_code": "SALE"})
            assert response.status == 200, response
    clock.advance(seconds=1)
    bills = {}
    for name, (item, occurred_at) in instants.items():
        with meter.measure() as bills[name]:
            response = api.patch(f"/api/v1/inventory/{item['id']}", {
                "quantity_change": -1, "reason_code": "DAMAGE",
                "occurred_at": occurred_at.isoformat()})
        assert response.status == 200, response
        assert response.json["data"]["quantity"] == 1000 - sum(histories[name]) - 1
    assert_costs("PATCH dated before 1 later entry", bills["1 later, 29 older"])
    assert_costs("PATCH dated before 10 later entries", bills["10 later, 20 older"])
    assert (bills["10 later, 0 older"].reads, bills["10 later, 0 older"].writes) == (
        bills["10 later, 20 older"].reads, bills["10 later, 20 older"].writes), (
        "a backdated change's cost grew with the history before its instant")
