"""Square-format webhooks: a subscription with `"format": "square"` is sent `inventory.count.updated`
notifications in Square's payload, signed as Square signs them, through the one delivery pipeline
(retries, dead letters, redelivery). A real receiver on 127.0.0.1 takes them, and Square's own SDK
(in .venv-square) verifies each with `verify_signature` and parses it into its
`InventoryCountUpdatedEvent`; on the embedded store and on the Firestore emulator."""
from __future__ import annotations

import contextlib
import time
import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from inventory.domain.webhooks import FORMAT_EVENT_TYPES, WebhookFormat
from local_server import LocalServer
from receiver import Receiver
from square_sdk.client import SQUARE_VENV, square_sdk, square_webhook_check

pytestmark = pytest.mark.skipif(not (SQUARE_VENV / ".installed").exists(), reason=(
    "Square's SDK venv .venv-square is missing: `make test` builds it"))

SIGNATURE = "x-square-hmacsha256-signature"
SQUARE = {"format": "square", "events": ["inventory.count.updated"]}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("firestore", marks=pytest.mark.firestore)])
def server(request, tmp_path_factory):
    """The local server as a user runs it, with quick retries: two after the first attempt."""
    env = {"INVENTORY_WEBHOOK_RETRY_SCHEDULE": "0.3,0.3", "INVENTORY_WEBHOOK_TIMEOUT_S": "2"}
    if request.param == "firestore":
        env.update(INVENTORY_STORE="firestore", GOOGLE_CLOUD_PROJECT=f"sqhooks-{uuid.uuid4().hex[:10]}",
                   FIRESTORE_EMULATOR_HOST=request.getfixturevalue("firestore_emulator"),
                   INVENTORY_FEED_SETTLE_S="0")  # the feed shows events at once
    running = LocalServer(tmp_path_factory.mktemp("square-webhooks") / "data", **env)
    yield running
    running.stop()


@contextlib.contextmanager
def subscriber(server, status=200, **body):
    """A receiver on loopback and a subscription of it (Square's format unless `body` says
    otherwise); both are gone afterwards."""
    receiver = Receiver(status=status)
    created = server.call("POST", "/webhooks", {"url": receiver.url(), **(body or SQUARE)})
    assert created.status_code == 201, created.text
    subscription = created.json()["data"]
    try:
        yield receiver, subscription
    finally:
        server.call("DELETE", f"/webhooks/{subscription['id']}")
        receiver.stop()


def shop(server) -> dict:
    """A location whose client named it with a Square location id of its own."""
    code = f"L{uuid.uuid4().hex[:12].upper()}"
    created = server.call("POST", "/locations", {"name": "Square shop", "time_zone": "America/Denver",
                                                 "code": code})
    assert created.status_code == 201, created.text
    return created.json()["data"]


def new_item(server, location_id, quantity=10, room_type="sales_floor") -> dict:
    product = f"sq_{uuid.uuid4().hex[:10]}"
    created = server.call("POST", "/inventory", {
        "product_id": product, "product_name": "Square webhook test", "sku": product.upper(),
        "location_id": location_id, "room_type": room_type, "unit": "g", "quantity": quantity})
    assert created.status_code == 201, created.text
    return created.json()["data"]


def sell(server, item, quantity) -> None:
    changed = server.call("PATCH", f"/inventory/{item['id']}",
                          {"quantity_change": -quantity, "reason_code": "SALE"})
    assert changed.status_code == 200, changed.text


def square_sale(server, item, location_code, quantity) -> dict:
    """A sale written through Square's SDK, naming the location by its code."""
    token = (server.data_dir / "demo-api-key").read_text().strip()
    change = {"type": "ADJUSTMENT", "adjustment": {
        "from_state": "IN_STOCK", "to_state": "SOLD", "location_id": location_code,
        "catalog_object_id": item["product_id"], "quantity": quantity,
        "occurred_at": datetime.now(timezone.utc).isoformat()}}
    [result] = square_sdk(f"http://127.0.0.1:{server.port}", token, [
        {"method": "batch_create_changes",
         "kwargs": {"idempotency_key": uuid.uuid4().hex, "changes": [change]}}])
    assert "body" in result, result
    return result["body"]


def square_counts(server, item) -> list[dict]:
    """The object's counts as the Square dialect answers them to Square's SDK."""
    token = (server.data_dir / "demo-api-key").read_text().strip()
    [result] = square_sdk(f"http://127.0.0.1:{server.port}", token, [
        {"method": "batch_get_counts", "kwargs": {"catalog_object_ids": [item["product_id"]]}}])
    return result["body"]["counts"]


def checked(subscription, received) -> list[dict]:
    """The notifications as Square's SDK sees them."""
    return square_webhook_check(subscription["secret"], subscription["url"],
                                [{"body": r["body"], "signature": headers.get(SIGNATURE, "")}
                                 for r in received
                                 for headers in [{k.lower(): v for k, v in r["headers"].items()}]])


def updated_events(server, item_id) -> list[str]:
    """The ids of the item's `inventory.updated` events, oldest first, from the native feed."""
    found = server.call("GET", "/events", type="inventory.updated", limit=200).json()["data"]
    return [e["id"] for e in found if e["data"]["item"]["id"] == item_id]


def wait_deliveries(server, subscription_id, predicate, timeout_s=20) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = server.call("GET", f"/webhooks/{subscription_id}/deliveries").json()["data"]
        if predicate(found):
            return found
        assert time.monotonic() < deadline, f"deliveries never matched: {found}"
        time.sleep(0.1)


def test_a_square_subscription_shows_its_format_and_a_square_signature_key_once(server):
    with subscriber(server) as (_, subscription):
        assert subscription["format"] == "square"
        assert subscription["events"] == ["inventory.count.updated"]
        assert subscription["secret"] and not subscription["secret"].startswith("whsec_")
        shown = server.call("GET", f"/webhooks/{subscription['id']}").json()["data"]
        assert shown["format"] == "square" and "secret" not in shown
        listed = server.call("GET", "/webhooks").json()["data"]
        assert [s["format"] for s in listed if s["id"] == subscription["id"]] == ["square"]
        assert all("secret" not in s for s in listed)
    with subscriber(server, events=["*"]) as (_, native):
        assert native["format"] == "native" and native["secret"].startswith("whsec_")


def test_a_change_through_square_arrives_as_squares_notification_that_squares_sdk_verifies(server):
    location = shop(server)
    item = new_item(server, location["id"], quantity=10)
    with subscriber(server) as (receiver, subscription):
        square_sale(server, item, location["code"], "2.5")
        [got] = receiver.wait_for(1)
        headers = {name.lower(): value for name, value in got["headers"].items()}
        assert headers["content-type"] == "application/json" and "webhook-signature" not in headers
        [seen] = checked(subscription, [got])
        assert seen["valid"] and seen["undeclared"] == []
        event = seen["event"]
        [event_id] = updated_events(server, item["id"])[-1:]
        assert {k: event[k] for k in ("merchant_id", "type", "event_id")} == {
            "merchant_id": item["organization_id"], "type": "inventory.count.updated",
            "event_id": event_id}
        assert event["data"]["type"] == "inventory" and event["data"]["id"] == item["id"]
        [count] = event["data"]["object"]["inventory_counts"]
        assert count == {"catalog_object_id": item["product_id"], "catalog_object_type": "ITEM_VARIATION",
                         "state": "IN_STOCK", "location_id": location["code"], "quantity": "7.5",
                         "calculated_at": count["calculated_at"], "is_estimated": False}
        # The same counts the Square dialect answers for that object, by the same mapping.
        assert event["data"]["object"]["inventory_counts"] == square_counts(server, item)


def test_a_native_change_with_reserved_stock_is_notified_with_both_square_counts(server):
    location = shop(server)
    item = new_item(server, location["id"], quantity=10)
    with subscriber(server) as (receiver, subscription):
        reserved = server.call("PATCH", f"/inventory/{item['id']}", {"reserved_quantity": 2})
        assert reserved.status_code == 200, reserved.text
        sell(server, item, 1)
        received = receiver.wait_for(2)
        seen = checked(subscription, received)
        assert all(s["valid"] and s["undeclared"] == [] for s in seen)
        by_state = {c["state"]: c["quantity"] for c in seen[-1]["event"]["data"]["object"]["inventory_counts"]}
        assert by_state == {"IN_STOCK": "9", "RESERVED_FOR_SALE": "2"}
        assert [s["event"]["event_id"] for s in seen] == updated_events(server, item["id"])[-2:]


def test_a_tampered_body_or_another_url_or_key_fails_squares_verification(server):
    location = shop(server)
    item = new_item(server, location["id"])
    with subscriber(server) as (receiver, subscription):
        sell(server, item, 1)
        [got] = receiver.wait_for(1)
        tampered = dict(got, body=got["body"].replace('"9"', '"90"'))
        assert tampered["body"] != got["body"]
        assert [s["valid"] for s in checked(subscription, [got, tampered])] == [True, False]
        assert not checked(dict(subscription, url=subscription["url"] + "x"), [got])[0]["valid"]
        assert not checked(dict(subscription, secret=subscription["secret"] + "x"), [got])[0]["valid"]


def test_only_sales_floor_count_changes_reach_a_square_subscription(server):
    """The vault is no Square count, and low stock, history and sync events have no Square type:
    a Square subscription gets no delivery for them, while a native one wanting every event does."""
    location = shop(server)
    floor = new_item(server, location["id"], quantity=10)
    vault = new_item(server, location["id"], quantity=10, room_type="vault")
    low = server.call("PATCH", f"/inventory/{floor['id']}", {"low_stock_threshold": 5})
    assert low.status_code == 200, low.text
    with subscriber(server) as (square_receiver, square), \
            subscriber(server, events=["*"]) as (native_receiver, native):
        sell(server, vault, 1)
        sell(server, floor, 6)  # crosses below the threshold: inventory.low_stock too
        native_types = [r["body"] for r in native_receiver.wait_for(3)]
        assert sum('"inventory.low_stock"' in body for body in native_types) == 1
        [got] = square_receiver.wait_for(1)
        time.sleep(1)  # room for a wrong second notification to arrive
        assert len(square_receiver.received) == 1
        [seen] = checked(square, [got])
        assert seen["event"]["data"]["id"] == floor["id"]
        logged = server.call("GET", f"/webhooks/{square['id']}/deliveries").json()["data"]
        assert [d["event_id"] for d in logged] == [seen["event"]["event_id"]]


def test_a_location_whose_square_room_is_the_vault_notifies_the_vaults_changes_only(server):
    """The room a location names for Square (square_room_type) is the one its notifications follow."""
    location = shop(server)
    moved = server.call("PATCH", f"/locations/{location['id']}", {"square_room_type": "vault"})
    assert moved.status_code == 200, moved.text
    floor = new_item(server, location["id"], quantity=10)
    vault = new_item(server, location["id"], quantity=10, room_type="vault")
    with subscriber(server) as (receiver, square):
        sell(server, floor, 1)
        sell(server, vault, 2)
        [got] = receiver.wait_for(1)
        time.sleep(1)  # room for a wrong second notification (the floor's) to arrive
        assert len(receiver.received) == 1
        [seen] = checked(square, [got])
        assert seen["event"]["data"]["id"] == vault["id"]
        assert [c["quantity"] for c in seen["event"]["data"]["object"]["inventory_counts"]] == ["8"]


def test_a_transfers_floor_leg_a_backdated_change_and_archiving_are_notified_with_the_counts_after(server):
    location = shop(server)
    vault = new_item(server, location["id"], quantity=10, room_type="vault")
    floor = new_item(server, location["id"], quantity=10)
    time.sleep(1)  # the backdated sale below happens after the item was made
    with subscriber(server) as (receiver, subscription):
        moved = server.call("POST", "/inventory/transfers", {"from_item_id": vault["id"],
                                                             "to_room_type": "sales_floor",
                                                             "quantity": 4})
        assert moved.status_code in (200, 201), moved.text
        landed = moved.json()["data"]["to_item"]
        before = datetime.fromtimestamp(time.time() - 0.5, timezone.utc).isoformat()
        dated = server.call("PATCH", f"/inventory/{floor['id']}",
                            {"quantity_change": -1, "reason_code": "SALE", "occurred_at": before})
        assert dated.status_code == 200, dated.text
        sell(server, floor, 9)
        archived = server.call("DELETE", f"/inventory/{floor['id']}")
        assert archived.status_code == 200, archived.text
        received = receiver.wait_for(4)
        time.sleep(1)  # room for a wrong fifth notification (the vault leg) to arrive
        seen = checked(subscription, received)
        assert len(seen) == 4 and all(s["valid"] for s in seen)
        shown = {s["event"]["event_id"]: (s["event"]["data"]["id"],
                                          s["event"]["data"]["object"]["inventory_counts"][0]["quantity"])
                 for s in seen}
        expected = dict(zip(updated_events(server, floor["id"])[-3:], [(floor["id"], "9"),
                                                                        (floor["id"], "0"),
                                                                        (floor["id"], "0")]))
        expected[updated_events(server, landed["id"])[-1]] = (landed["id"], "4")
        assert shown == expected


def test_rotating_a_square_key_signs_the_next_notification_with_the_new_key_only(server):
    location = shop(server)
    item = new_item(server, location["id"])
    with subscriber(server) as (receiver, subscription):
        rotated = server.call("POST", f"/webhooks/{subscription['id']}/rotate-secret")
        assert rotated.status_code == 200, rotated.text
        new_key = rotated.json()["data"]["secret"]
        assert new_key != subscription["secret"] and not new_key.startswith("whsec_")
        assert rotated.json()["data"]["format"] == "square"
        sell(server, item, 1)
        [got] = receiver.wait_for(1)
        assert checked(dict(subscription, secret=new_key), [got])[0]["valid"]
        assert not checked(subscription, [got])[0]["valid"]


def test_a_failing_square_receiver_is_retried_then_dead_and_redelivered_without_holding_up_others(server):
    location = shop(server)
    item = new_item(server, location["id"])
    with subscriber(server, status=500) as (failing, square), \
            subscriber(server, events=["inventory.updated"]) as (healthy, _):
        sell(server, item, 1)
        healthy.wait_for(1)
        [dead] = wait_deliveries(server, square["id"], lambda d: d and d[0]["state"] == "dead")
        assert dead["attempts"] == 3 and dead["last_status_code"] == 500
        attempts = failing.wait_for(3)
        assert len({a["body"] for a in attempts}) == 1  # the same notification, the same event_id
        failing.status = 200
        again = server.call("POST", f"/webhooks/{square['id']}/deliveries/{dead['id']}/redeliver")
        assert again.status_code == 202, again.text
        wait_deliveries(server, square["id"], lambda d: d[0]["state"] == "succeeded")
        received = failing.wait_for(4)
        assert all(s["valid"] for s in checked(square, received))
        assert len(healthy.received) == 1


# -- refusals: the subscription is checked before anything is stored (in-process, both stores) --

@pytest.mark.parametrize("body, field, code", [
    ({"format": "Square", "events": ["inventory.count.updated"]}, "format", "enum"),
    ({"format": None, "events": ["inventory.updated"]}, "format", "enum"),
    ({"format": "square", "events": ["inventory.updated"]}, "events[0]", "event_type_not_in_format"),
    ({"format": "square", "events": ["inventory.count.updated", "inventory.low_stock"]}, "events[1]",
     "event_type_not_in_format"),
    ({"format": "square", "events": ["inventory.sync.completed"]}, "events[0]", "event_type_not_in_format"),
    ({"events": ["inventory.count.updated"]}, "events[0]", "event_type_not_in_format"),
    ({"format": "square", "events": ["inventory.count.deleted"]}, "events[0]", "unknown_event_type"),
])
def test_a_bad_format_or_an_event_type_the_format_cannot_carry_is_refused(api, body, field, code):
    response = api.post("/api/v1/webhooks", {"url": "https://hooks.example.com/hook", **body})
    assert response.status == 422, response
    assert any(f["field"] == field and f["code"] == code for f in response.error["fields"]), response
    assert api.get("/api/v1/webhooks").json["data"] == []


KNOWN_FORMATS = {f.value for f in WebhookFormat}
SQUARE_NAMES = FORMAT_EVENT_TYPES[WebhookFormat.SQUARE]
NATIVE_NAMES = sorted(FORMAT_EVENT_TYPES[WebhookFormat.NATIVE])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.text(max_size=20).filter(lambda v: v not in KNOWN_FORMATS),
                       st.integers(), st.booleans(), st.lists(st.just("square"), max_size=2)))
def test_any_format_but_native_or_square_is_refused_naming_the_field(api, value):
    response = api.post("/api/v1/webhooks", {"url": "https://hooks.example.com/hook",
                                             "events": ["*"], "format": value})
    assert response.status == 422, response
    assert {(f["field"], f["code"]) for f in response.error["fields"]} == {("format", "enum")}, response
    assert api.get("/api/v1/webhooks").json["data"] == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.one_of(st.sampled_from(NATIVE_NAMES), st.text(min_size=1, max_size=40))
       .filter(lambda name: name not in SQUARE_NAMES and name != "*"))
def test_any_event_type_square_does_not_send_is_refused_for_a_square_subscription(api, name):
    response = api.post("/api/v1/webhooks", {"url": "https://hooks.example.com/hook",
                                             "format": "square", "events": [name]})
    assert response.status == 422, response
    assert "events[0]" in response.field_names(), response
    assert api.get("/api/v1/webhooks").json["data"] == []
