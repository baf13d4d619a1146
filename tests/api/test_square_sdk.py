"""Square's Inventory API v2 over the ledger, driven through Square's own Python SDK (46.x) and
the legacy one (41.x) against the local server: writes reach the native ledger and back, and
every refusal has Square's shape, a status the SDK does not retry, and writes nothing."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings, strategies as st
from urllib.parse import quote

from square_sdk.client import square_sdk
from square_sdk.ledger import (adjustment, batch, count, location_id, native_state, needs_square_sdk,
                               new_item, now, other_location_id, sdk, server, transfer)

pytestmark = needs_square_sdk


def test_a_batch_of_square_changes_lands_in_the_native_ledger_under_the_same_ids(server, location_id):
    item = new_item(server, location_id, quantity=10)
    [result] = sdk(server, [batch([adjustment(item, "IN_STOCK", "SOLD", "3"),
                                   adjustment(item, "RETURNED_BY_CUSTOMER", "IN_STOCK", "1"),
                                   count(item, "20")])])
    body = result["body"]
    assert [c["type"] for c in body["changes"]] == ["ADJUSTMENT", "ADJUSTMENT", "PHYSICAL_COUNT"]
    assert body["counts"] == [{"catalog_object_id": item["product_id"],
                               "catalog_object_type": "ITEM_VARIATION", "state": "IN_STOCK",
                               "location_id": location_id, "quantity": "20",
                               "calculated_at": body["counts"][0]["calculated_at"],
                               "is_estimated": False}]
    quantity, ledger = native_state(server, item)
    assert quantity == 20
    by_id = {entry["id"]: entry for entry in ledger}
    sale, back, audit = body["changes"]
    assert by_id[sale["adjustment"]["id"]]["reason_code"] == "SALE"
    assert by_id[sale["adjustment"]["id"]]["quantity_change"] == -3
    assert by_id[back["adjustment"]["id"]]["reason_code"] == "RETURN"
    assert by_id[audit["physical_count"]["id"]]["reason_code"] == "AUDIT"
    assert by_id[audit["physical_count"]["id"]]["quantity_after"] == 20


def test_a_retry_with_the_same_idempotency_key_is_applied_once(server, location_id):
    item = new_item(server, location_id, quantity=10)
    call = batch([adjustment(item, "IN_STOCK", "WASTE", "2")], key=uuid.uuid4().hex)
    first, again = sdk(server, [call, call])
    assert first["body"] == again["body"]
    quantity, ledger = native_state(server, item)
    assert quantity == 8 and [e["reason_code"] for e in ledger].count("DAMAGE") == 1


def _refusals(item, vaulted, sold, elsewhere):
    """(changes, status, Square code, field) for each kind of refused batch."""
    days_ago = lambda days: (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    # Between `sold`'s opening of 10 and its sale of 8: a sale of 5 there leaves that sale short.
    between = (datetime.fromisoformat(sold["created_at"]) + timedelta(milliseconds=1)).isoformat()
    return [
        ([adjustment(item, "IN_STOCK", "SOLD", "11")], 400, "INSUFFICIENT_INVENTORY",
         "changes[0].adjustment.quantity"),
        ([adjustment(item, "IN_STOCK", "SOLD", "1"), adjustment(item, "IN_STOCK", "SOLD", "10")],
         400, "INSUFFICIENT_INVENTORY", "changes[1].adjustment.quantity"),  # atomic: nothing of [0]
        ([adjustment(dict(item, product_id="no_such_object"), "IN_STOCK", "SOLD", "1")], 404,
         "NOT_FOUND", "changes[0].adjustment.catalog_object_id"),
        ([adjustment(item, "SOLD", "IN_STOCK", "1")], 400, "INVALID_VALUE",
         "changes[0].adjustment.to_state"),
        # Effective time: the organization's window (35 days), not Square's 24 hours.
        ([adjustment(item, "IN_STOCK", "SOLD", "1", occurred_at=days_ago(36))], 400, "INVALID_TIME",
         "changes[0].adjustment.occurred_at"),
        ([count(item, "3", occurred_at=later)], 400, "INVALID_TIME",
         "changes[0].physical_count.occurred_at"),
        ([adjustment(item, "IN_STOCK", "SOLD", "1", occurred_at=days_ago(2))], 400, "INVALID_TIME",
         "changes[0].adjustment.occurred_at"),  # before the item existed
        ([adjustment(sold, "IN_STOCK", "SOLD", "5", occurred_at=between)], 400,
         "INSUFFICIENT_INVENTORY", "changes[0].adjustment.occurred_at"),  # a later sale breaks
        ([adjustment(item, "IN_STOCK", "SOLD", "0")], 400, "INVALID_VALUE",
         "changes[0].adjustment.quantity"),
        ([adjustment(item, "IN_STOCK", "SOLD", "1.5")], 400, "INVALID_VALUE",
         "changes[0].adjustment.quantity"),
        ([adjustment(item, "IN_STOCK", "SOLD", "abc")], 400, "INVALID_VALUE",
         "changes[0].adjustment.quantity"),
        ([count(item, "5", state="RESERVED_FOR_SALE")], 400, "INVALID_VALUE",
         "changes[0].physical_count.state"),
        ([adjustment(item, "IN_STOCK", "SOLD", "1", from_location_id=item["location_id"],
                     to_location_id="elsewhere")], 400, "INVALID_VALUE",
         "changes[0].adjustment.to_location_id"),
        ([adjustment(item, "IN_STOCK", "SOLD", "1", employee_id="emp_1", team_member_id="tm_2")],
         400, "INVALID_VALUE", "changes[0].adjustment.employee_id"),
        ([{"type": "TRANSFER"}], 400, "MISSING_REQUIRED_PARAMETER", "changes[0].transfer"),
        ([transfer(item, "loc_nowhere", "1")], 404, "NOT_FOUND", "changes[0].transfer.to_location_id"),
        ([transfer(item, item["location_id"], "1")], 400, "INVALID_VALUE",
         "changes[0].transfer.to_location_id"),
        ([transfer(item, elsewhere, "1", state="SOLD")], 400, "INVALID_VALUE", "changes[0].transfer.state"),
        ([transfer(item, elsewhere, "0")], 400, "INVALID_VALUE", "changes[0].transfer.quantity"),
        ([transfer(item, elsewhere, "11")], 400, "INSUFFICIENT_INVENTORY", "changes[0].transfer.quantity"),
        ([transfer(item, elsewhere, "6"), adjustment(item, "IN_STOCK", "SOLD", "5")], 400,
         "INSUFFICIENT_INVENTORY", "changes[1].adjustment.quantity"),  # atomic with the transfer
        ([{"type": "ADJUSTMENT"}], 400, "MISSING_REQUIRED_PARAMETER", "changes[0].adjustment"),
        ([adjustment(vaulted, "IN_STOCK", "SOLD", "1")], 404, "NOT_FOUND",
         "changes[0].adjustment.catalog_object_id"),  # its stock is in the vault, not on the sales floor
    ]


def test_every_refused_batch_has_squares_shape_is_not_retried_and_writes_nothing(
        server, location_id, other_location_id):
    item = new_item(server, location_id, quantity=10)
    vaulted = new_item(server, location_id, quantity=10, room_type="vault")
    sold = new_item(server, location_id, quantity=10)
    server.call("PATCH", f"/inventory/{sold['id']}", {"quantity_change": -8, "reason_code": "SALE"})
    cases = _refusals(item, vaulted, sold, other_location_id)
    before = [native_state(server, one) for one in (item, sold)]
    results = sdk(server, [batch(changes) for changes, *_ in cases])
    for (changes, status, code, field), result in zip(cases, results):
        assert result["status"] == status, (changes, result)
        assert result["attempts"] == 1, result  # a status Square's SDK does not retry
        [error] = result["errors"]
        assert (error["code"], error["field"]) == (code, field), result
        assert error["category"] == "INVALID_REQUEST_ERROR" and error["detail"]
    assert [native_state(server, one) for one in (item, sold)] == before
    elsewhere = server.call("GET", "/inventory", location_id=other_location_id,
                            product_id=item["product_id"]).json()["data"]
    assert elsewhere == []  # no transfer created its destination


def test_the_same_idempotency_key_with_another_body_is_refused_as_reused(server, location_id):
    item = new_item(server, location_id, quantity=10)
    key = uuid.uuid4().hex
    first, second = sdk(server, [batch([adjustment(item, "IN_STOCK", "SOLD", "1")], key),
                                 batch([adjustment(item, "IN_STOCK", "SOLD", "2")], key)])
    assert "body" in first
    assert (second["status"], second["attempts"]) == (400, 1)
    assert second["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert native_state(server, item)[0] == 9


def test_a_bad_token_is_refused_as_square_refuses_it(server, location_id):
    item = new_item(server, location_id)
    token = "not-a-key"
    [result] = square_sdk(f"http://127.0.0.1:{server.port}", token,
                          [batch([adjustment(item, "IN_STOCK", "SOLD", "1")])])
    assert (result["status"], result["attempts"]) == (401, 1)
    assert result["errors"][0]["category"] == "AUTHENTICATION_ERROR"
    assert result["errors"][0]["code"] == "UNAUTHORIZED"


def test_counts_pager_walks_several_pages_newest_first(server, location_id):
    made = [new_item(server, location_id, quantity=i + 1) for i in range(5)]
    # A native write makes the first item the most recently changed one.
    server.call("PATCH", f"/inventory/{made[0]['id']}", {"quantity_change": 4, "reason_code": "ADJUSTMENT"})
    ids = [m["product_id"] for m in made]
    [walked] = sdk(server, [{"method": "batch_get_counts", "pages": True,
                             "kwargs": {"catalog_object_ids": ids, "limit": 2}}])
    assert [len(page) for page in walked["pages"]] == [2, 2, 1]
    counts = [c for page in walked["pages"] for c in page]
    assert [c["catalog_object_id"] for c in counts] == [ids[0], ids[4], ids[3], ids[2], ids[1]]
    assert counts[0]["quantity"] == "5"
    stamps = [c["calculated_at"] for c in counts]
    assert stamps == sorted(stamps, reverse=True)


def test_counts_filters_by_location_and_updated_after(server, location_id):
    item = new_item(server, location_id, quantity=3)
    later = (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()
    found, none_after, elsewhere, reserved_only = sdk(server, [
        {"method": "batch_get_counts", "kwargs": {"catalog_object_ids": [item["product_id"]],
                                                  "location_ids": [location_id]}},
        {"method": "batch_get_counts", "kwargs": {"catalog_object_ids": [item["product_id"]],
                                                  "updated_after": later}},
        {"method": "batch_get_counts", "kwargs": {"catalog_object_ids": [item["product_id"]],
                                                  "location_ids": ["loc_elsewhere"]}},
        {"method": "batch_get_counts", "kwargs": {"catalog_object_ids": [item["product_id"]],
                                                  "states": ["RESERVED_FOR_SALE"]}},
    ])
    assert [c["quantity"] for c in found["body"]["counts"]] == ["3"]
    assert none_after["body"].get("counts", []) == []
    assert elsewhere["body"].get("counts", []) == []
    assert reserved_only["body"].get("counts", []) == []


def test_reserved_stock_shows_as_a_read_only_reserved_for_sale_count(server, location_id):
    item = new_item(server, location_id, quantity=10)
    server.call("PATCH", f"/inventory/{item['id']}", {"reserved_quantity": 4})
    [result] = sdk(server, [{"method": "get", "kwargs": {"catalog_object_id": item["product_id"]}}])
    states = {c["state"]: c["quantity"] for c in result["body"]["counts"]}
    assert states == {"IN_STOCK": "10", "RESERVED_FOR_SALE": "4"}


def test_one_catalog_objects_counts_follow_a_native_write(server, location_id):
    item = new_item(server, location_id, quantity=10)
    server.call("PATCH", f"/inventory/{item['id']}", {"quantity_change": -4, "reason_code": "SALE"})
    here, elsewhere, unknown = sdk(server, [
        {"method": "get", "kwargs": {"catalog_object_id": item["product_id"], "location_ids": location_id}},
        {"method": "get", "kwargs": {"catalog_object_id": item["product_id"], "location_ids": "loc_x"}},
        {"method": "get", "kwargs": {"catalog_object_id": "nothing_here"}},
    ])
    assert [(c["state"], c["quantity"]) for c in here["body"]["counts"]] == [("IN_STOCK", "6")]
    assert elsewhere["body"].get("counts", []) == [] and unknown["body"].get("counts", []) == []


def test_squares_hundred_changes_per_call_in_exact_decimals(server, location_id):
    item = new_item(server, location_id, quantity=1000, unit="g")
    sales = [adjustment(item, "IN_STOCK", "SOLD", "3.5") for _ in range(100)]
    [result] = sdk(server, [batch(sales)])
    assert len(result["body"]["changes"]) == 100
    assert result["body"]["counts"][0]["quantity"] == "650"
    assert native_state(server, item)[0] == 650


def test_the_legacy_sdks_seed_calls_work_with_a_custom_environment(server, location_id):
    item = new_item(server, location_id, quantity=10)
    changed, counted, listed = sdk(server, [
        {"method": "batch_change_inventory", "kwargs": {"body": {
            "idempotency_key": uuid.uuid4().hex,
            "changes": [adjustment(item, "IN_STOCK", "SOLD", "2"), count(item, "7")]}}},
        {"method": "retrieve_inventory_count", "kwargs": {"catalog_object_id": item["product_id"],
                                                          "location_ids": location_id}},
        {"method": "batch_retrieve_inventory_counts", "kwargs": {"body": {
            "catalog_object_ids": [item["product_id"]]}}},
    ], sdk="legacy")
    assert changed["status"] == 200 and changed["body"]["counts"][0]["quantity"] == "7"
    assert counted["body"]["counts"][0]["quantity"] == "7"
    assert listed["body"]["counts"][0]["quantity"] == "7"
    assert native_state(server, item)[0] == 7


def test_every_native_entry_is_a_square_change_and_the_changes_pager_walks_oldest_first(server, location_id):
    item = new_item(server, location_id, quantity=10)  # its opening is the first entry
    server.call("PATCH", f"/inventory/{item['id']}", {"quantity_change": -1, "reason_code": "SALE"})
    sdk(server, [batch([adjustment(item, "IN_STOCK", "WASTE", "1"), count(item, "5"),
                        adjustment(item, "NONE", "IN_STOCK", "2")])])
    ledger = native_state(server, item)[1]
    pid = [item["product_id"]]
    walked, counts_only, sold_only, later, elsewhere = sdk(server, [
        {"method": "batch_get_changes", "pages": True, "kwargs": {"catalog_object_ids": pid, "limit": 2}},
        {"method": "batch_get_changes", "kwargs": {"catalog_object_ids": pid, "types": ["PHYSICAL_COUNT"]}},
        {"method": "batch_get_changes", "kwargs": {"catalog_object_ids": pid, "states": ["SOLD"]}},
        {"method": "batch_get_changes", "kwargs": {
            "catalog_object_ids": pid,
            "updated_after": (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()}},
        {"method": "batch_get_changes", "kwargs": {"catalog_object_ids": pid, "location_ids": ["loc_x"]}},
    ])
    assert [len(page) for page in walked["pages"]] == [2, 2, 1]
    changes = [c for page in walked["pages"] for c in page]
    ids = [(c.get("adjustment") or c.get("physical_count"))["id"] for c in changes]
    assert ids == [entry["id"] for entry in reversed(ledger)]  # the native ledger is newest first
    states = [(c["adjustment"]["from_state"], c["adjustment"]["to_state"]) if c["type"] == "ADJUSTMENT"
              else ("COUNT", c["physical_count"]["quantity"]) for c in changes]
    assert states == [("NONE", "IN_STOCK"), ("IN_STOCK", "SOLD"), ("IN_STOCK", "WASTE"),
                      ("COUNT", "5"), ("NONE", "IN_STOCK")]
    assert [c["type"] for c in counts_only["body"]["changes"]] == ["PHYSICAL_COUNT"]
    assert [c["adjustment"]["to_state"] for c in sold_only["body"]["changes"]] == ["SOLD"]
    assert later["body"].get("changes", []) == [] and elsewhere["body"].get("changes", []) == []


def test_one_objects_changes_come_newest_first(server, location_id):
    item = new_item(server, location_id, quantity=10)
    sdk(server, [batch([adjustment(item, "IN_STOCK", "SOLD", "1")])])
    [walked] = sdk(server, [{"method": "changes", "pages": True,
                             "kwargs": {"catalog_object_id": item["product_id"]}}])
    [page] = walked["pages"]
    assert [c["adjustment"]["to_state"] for c in page] == ["SOLD", "IN_STOCK"]


def test_the_legacy_sdks_change_reads(server, location_id):
    item = new_item(server, location_id, quantity=4)
    object_changes, batch_changes = sdk(server, [
        {"method": "retrieve_inventory_changes", "kwargs": {"catalog_object_id": item["product_id"]}},
        {"method": "batch_retrieve_inventory_changes", "kwargs": {"body": {
            "catalog_object_ids": [item["product_id"]], "types": ["ADJUSTMENT"]}}},
    ], sdk="legacy")
    for result in (object_changes, batch_changes):
        assert result["status"] == 200
        [change] = result["body"]["changes"]
        assert change["adjustment"]["quantity"] == "4"


def test_bodies_the_sdk_would_not_send_are_refused_in_squares_shape(server, location_id):
    """What a hand-written client can get wrong: no idempotency_key, no JSON, a foreign cursor."""
    item = new_item(server, location_id, quantity=10)
    base = f"http://127.0.0.1:{server.port}/v2/inventory"
    session = server.session
    cases = [
        (session.post(base + "/changes/batch-create", json={
            "changes": [adjustment(item, "IN_STOCK", "SOLD", "1")]}),
         "MISSING_REQUIRED_PARAMETER", "idempotency_key"),
        (session.post(base + "/changes/batch-create", data="not json",
                      headers={"Content-Type": "application/json"}), "EXPECTED_JSON_BODY", "body"),
        (session.post(base + "/counts/batch-retrieve", json={"cursor": "bm90LW91cnM"}),
         "INVALID_CURSOR", "cursor"),
        (session.post(base + "/changes/batch-retrieve", json={"updated_after": "yesterday"}),
         "INVALID_TIME", "updated_after"),
    ]
    too_many = [adjustment(item, "IN_STOCK", "SOLD", "1")] * 101
    cases += [
        (session.post(base + "/changes/batch-create", json={"idempotency_key": "k", "changes": too_many}),
         "ARRAY_LENGTH_TOO_LONG", "changes"),
        (session.post(base + "/changes/batch-create", json={"idempotency_key": "k", "changes": []}),
         "ARRAY_EMPTY", "changes"),
        (session.post(base + "/changes/batch-create", json={"idempotency_key": "", "changes": too_many[:1]}),
         "VALUE_EMPTY", "idempotency_key"),
        (session.post(base + "/changes/batch-create", json={
            "idempotency_key": "k", "changes": [{"type": "RECOUNT"}]}), "INVALID_ENUM_VALUE", "changes[0].type"),
    ]
    for response, code, field in cases:
        assert response.status_code == 400, response.text
        [error] = response.json()["errors"]
        assert (error["code"], error["field"], error["category"]) == (code, field, "INVALID_REQUEST_ERROR")
    wrong_type = session.post(base + "/changes/batch-create", data="{}", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    assert wrong_type.json()["errors"][0]["code"] == "INVALID_CONTENT_TYPE"
    assert native_state(server, item)[0] == 10


def test_a_change_is_retrieved_by_its_id_with_either_sdk(server, location_id):
    item = new_item(server, location_id, quantity=10)
    [made] = sdk(server, [batch([adjustment(item, "IN_STOCK", "SOLD", "2"), count(item, "6")])])
    sale_id = made["body"]["changes"][0]["adjustment"]["id"]
    count_id = made["body"]["changes"][1]["physical_count"]["id"]
    sale, counted, old_path, missing, wrong_kind = sdk(server, [
        {"method": "get_adjustment", "kwargs": {"adjustment_id": sale_id}},
        {"method": "get_physical_count", "kwargs": {"physical_count_id": count_id}},
        {"method": "deprecated_get_adjustment", "kwargs": {"adjustment_id": sale_id}},
        {"method": "get_adjustment", "kwargs": {"adjustment_id": "chg_nothing"}},
        {"method": "get_adjustment", "kwargs": {"adjustment_id": count_id}},
    ])
    assert sale["body"]["adjustment"] == made["body"]["changes"][0]["adjustment"]
    assert counted["body"]["count"] == made["body"]["changes"][1]["physical_count"]
    assert old_path["body"] == sale["body"]
    for refused in (missing, wrong_kind):
        assert (refused["status"], refused["attempts"], refused["errors"][0]["code"]) == (404, 1, "NOT_FOUND")
    legacy_sale, legacy_count = sdk(server, [
        {"method": "retrieve_inventory_adjustment", "kwargs": {"adjustment_id": sale_id}},
        {"method": "retrieve_inventory_physical_count", "kwargs": {"physical_count_id": count_id}},
    ], sdk="legacy")
    assert legacy_sale["body"]["adjustment"]["quantity"] == "2"
    assert legacy_count["body"]["count"]["quantity"] == "6"


ODD_IDS = st.text(min_size=1, max_size=120).filter(lambda t: t.strip() and "/" not in t and "," not in t)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(odd=ODD_IDS)
def test_an_id_of_any_shape_matches_nothing_and_is_never_a_500(server, location_id, odd):
    base = f"http://127.0.0.1:{server.port}/v2/inventory"
    session = server.session
    answers = [
        session.post(base + "/counts/batch-retrieve", json={"catalog_object_ids": [odd[:100]]}),
        session.post(base + "/counts/batch-retrieve", json={"location_ids": [odd[:100]]}),
        session.post(base + "/changes/batch-retrieve", json={"location_ids": [odd[:100]],
                                                             "catalog_object_ids": ["x"]}),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.json().get("counts", answer.json().get("changes")) == []
    # In the path, a segment the router cannot take (a dot segment, a control character) is
    # refused before any handler, as every path of the API is.
    in_path = session.get(base + "/" + quote(odd, safe=""), params={"location_ids": odd})
    assert in_path.status_code in (200, 404), in_path.text
    if in_path.status_code == 200:
        assert in_path.json()["counts"] == []
    refused = session.post(base + "/changes/batch-create", json={
        "idempotency_key": uuid.uuid4().hex, "changes": [{"type": "ADJUSTMENT", "adjustment": {
            "from_state": "IN_STOCK", "to_state": "SOLD", "location_id": odd[:100],
            "catalog_object_id": odd[:100], "quantity": "1", "occurred_at": now()}}]})
    assert refused.status_code == 404 and refused.json()["errors"][0]["code"] == "NOT_FOUND", refused.text


def test_a_location_is_named_by_the_code_its_client_gave_it(server):
    code = f"L{uuid.uuid4().hex[:12].upper()}"  # as a Square location id looks
    made = server.call("POST", "/locations", {"name": "Square shop", "time_zone": "America/Denver",
                                              "code": code})
    assert made.status_code == 201, made.text
    item = new_item(server, made.json()["data"]["id"], quantity=10)
    changed, counted = sdk(server, [
        batch([adjustment(dict(item, location_id=code), "IN_STOCK", "SOLD", "1")]),
        {"method": "get", "kwargs": {"catalog_object_id": item["product_id"], "location_ids": code}},
    ])
    assert changed["body"]["changes"][0]["adjustment"]["from_location_id"] == code
    assert [(c["location_id"], c["quantity"]) for c in counted["body"]["counts"]] == [(code, "9")]
    assert native_state(server, item)[0] == 9
