"""Cannlytics' /api/inventory, on each store: GET's `limit`, `order_by` and `desc` as their API
reads them; a POST or DELETE is one unit of work that honours an Idempotency-Key as the native API
does (the same store of replays); every refusal in their shape, writing nothing."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory import cli
from inventory.adapters.firestore.transaction import FirestoreTransaction
from inventory.adapters.sqlite.store import SqliteTransaction
from inventory.cannlytics.fields import FIELDS

from api.test_cannlytics_api import assert_refused, cannlytics, native, native_item


def keyed(api, method, body=None, key="cannlytics-key-1", **kw):
    """A request as their clients send it, with an Idempotency-Key."""
    return api.request(method, kw.pop("path", "/api/inventory"), body,
                       query={"organization_id": api.organization_id}, idempotency_key=key, **kw)


def created(api, item_id, name, quantity, **fields):
    response = cannlytics(api, "POST", {"item_id": item_id, "name": name, "quantity": quantity,
                                        **fields})
    assert response.status == 200, response
    return response.json["data"]


@pytest.fixture
def stocked(api, location):
    """Four items, oldest first: quantities 9, 100, 10 and 0; the second has no category."""
    for item_id, name, quantity, category in (("a1", "Zkittlez", "9", "Flower"),
                                              ("b2", "Apple Fritter", "100", "None"),
                                              ("c3", "Mimosa", "10", "Edible"),
                                              ("d4", "Blue Dream", "0", "Vape")):
        created(api, item_id, name, quantity, category_name=category)
    return ["a1", "b2", "c3", "d4"]


def listed(api, **query):
    response = api.get("/api/inventory", query={"organization_id": api.organization_id, **query})
    assert response.status == 200, response
    return [item["item_id"] for item in response.json["data"]]


# --- GET: limit, order_by, desc ---------------------------------------------------------------

def test_limit_takes_the_first_items_oldest_first(api, stocked):
    assert listed(api) == stocked
    assert listed(api, limit="2") == ["a1", "b2"]
    assert listed(api, limit="1") == ["a1"]
    assert listed(api, limit="10000") == stocked


def test_order_by_sorts_quantity_as_a_number_and_text_as_text_and_desc_reverses(api, stocked):
    assert listed(api, order_by="quantity") == ["d4", "a1", "c3", "b2"]  # 0, 9, 10, 100
    assert listed(api, order_by="quantity", desc="true") == ["b2", "c3", "a1", "d4"]
    assert listed(api, order_by="name") == ["b2", "d4", "c3", "a1"]
    assert listed(api, order_by="name", desc="True", limit="2") == ["a1", "c3"]
    assert listed(api, order_by="name", desc="false") == listed(api, order_by="name")


def test_items_with_the_ordering_field_empty_come_last_either_way(api, stocked):
    assert listed(api, order_by="category_name") == ["c3", "a1", "d4", "b2"]
    assert listed(api, order_by="category_name", desc="1") == ["d4", "a1", "c3", "b2"]
    assert listed(api, order_by="strain_name") == stocked  # empty everywhere: oldest first


def test_order_by_sees_native_changes(api, stocked):
    item = native_item(api, "a1")
    sold = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -9, "reason_code": "SALE"})
    assert sold.status == 200, sold
    assert listed(api, order_by="quantity")[:2] == ["a1", "d4"]  # both 0: the oldest first


not_a_limit = st.text(max_size=12).filter(
    lambda t: not (t.isascii() and t.isdigit() and 1 <= int(t) <= 10_000))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(limit=not_a_limit)
def test_a_limit_that_is_not_a_whole_number_from_1_to_10000_is_refused_in_their_shape(api, stocked, limit):
    response = api.get("/api/inventory", query={"organization_id": api.organization_id,
                                                "limit": limit})
    assert_refused(response, 400, "invalid_limit", "limit")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(order_by=st.text(min_size=1, max_size=20).filter(lambda t: t not in FIELDS),
       desc=st.text(max_size=8).filter(lambda t: t.strip().lower() not in
                                       ("true", "1", "yes", "false", "0", "no", "")))
def test_an_order_by_or_desc_it_cannot_read_is_refused_in_their_shape(api, stocked, order_by, desc):
    query = {"organization_id": api.organization_id}
    assert_refused(api.get("/api/inventory", query={**query, "order_by": order_by}), 400,
                   "invalid_order_by", "order_by")
    assert_refused(api.get("/api/inventory", query={**query, "order_by": "name", "desc": desc}),
                   400, "invalid_desc", "desc")


# --- one unit of work --------------------------------------------------------------------------

def test_a_create_and_the_count_of_its_quantity_commit_together(api, location, backend, monkeypatch):
    """If the count's ledger entry cannot be written, the item is not left behind at 0."""
    def fail(self, entry):
        raise RuntimeError("the store failed while writing the ledger")

    transaction = SqliteTransaction if backend == "sqlite" else FirestoreTransaction
    monkeypatch.setattr(transaction, "append_ledger", fail)
    crashed = cannlytics(api, "POST", {"item_id": "gg4", "name": "Gorilla Glue #4", "quantity": "12"})
    assert crashed.status == 500 and crashed.json["success"] is False
    monkeypatch.undo()
    assert native(api)["items"] == []


def test_a_created_item_opens_with_its_count_in_one_version(api, location):
    created(api, "gg4", "Gorilla Glue #4", "12")
    item = native_item(api, "gg4")
    (count,) = api.changes(item["id"])
    assert (count["reason_code"], count["quantity_before"], count["quantity_after"],
            count["counted_quantity"]) == ("AUDIT", 0, 12, 12)
    assert item["version"] == count["item_version"] == 1


# --- Idempotency-Key ---------------------------------------------------------------------------

def test_a_retried_create_gets_the_first_answer_and_creates_once(api, location):
    body = {"item_id": "gg4", "name": "Gorilla Glue #4", "quantity": "12", "units": "Grams"}
    first = keyed(api, "POST", body)
    assert first.status == 200 and "Idempotent-Replayed" not in first.headers, first
    item = native_item(api, "gg4")
    sold = api.patch(f"/api/v1/inventory/{item['id']}", {"quantity_change": -2, "reason_code": "SALE"})
    assert sold.status == 200
    before = native(api)
    again = keyed(api, "POST", body)
    assert again.status == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json and again.json["data"]["quantity"] == "12"  # as first answered
    assert native(api) == before


def test_a_retried_update_and_delete_get_the_first_answers_once(api, location):
    created(api, "gg4", "Gorilla Glue #4", "12")
    recount = keyed(api, "POST", {"item_id": "gg4", "quantity": "0"}, key="recount-1")
    assert recount.json == {"success": True, "data": {"item_id": "gg4", "quantity": "0"}}
    ledger = api.changes(native_item(api, "gg4")["id"])
    assert keyed(api, "POST", {"item_id": "gg4", "quantity": "0"}, key="recount-1").json == recount.json
    assert api.changes(native_item(api, "gg4")["id"]) == ledger
    deleted = keyed(api, "DELETE", {"item_id": "gg4"}, key="delete-1")
    assert deleted.status == 200 and deleted.json == {"success": True, "data": []}
    before = native(api)
    again = keyed(api, "DELETE", {"item_id": "gg4"}, key="delete-1")  # the item is archived now
    assert again.status == 200 and again.json == deleted.json
    assert again.headers["Idempotent-Replayed"] == "true"
    by_path = keyed(api, "DELETE", {"item_id": "gg4"}, key="delete-1", path="/api/inventory/gg4")
    assert_refused(by_path, 422, "idempotency_key_reused", "Idempotency-Key")  # another path
    assert native(api) == before


def test_a_reused_key_with_another_body_is_refused_in_their_shape_and_writes_nothing(api, location):
    created(api, "gg4", "Gorilla Glue #4", "12")
    assert keyed(api, "POST", {"item_id": "gg4", "quantity": "11"}).status == 200
    before = native(api)
    for method, body in (("POST", {"item_id": "gg4", "quantity": "10"}),
                         ("POST", {"item_id": "new", "name": "New", "quantity": "1"}),
                         ("DELETE", {"item_id": "gg4"})):
        assert_refused(keyed(api, method, body), 422, "idempotency_key_reused", "Idempotency-Key")
    assert native(api) == before


def test_keys_are_one_store_of_replays_with_the_native_api(api, location):
    item = created(api, "gg4", "Gorilla Glue #4", "12")
    assert keyed(api, "POST", {"item_id": "gg4", "quantity": "11"}, key="shared-1").status == 200
    native_id = native_item(api, "gg4")["id"]
    before = native(api)
    refused = api.patch(f"/api/v1/inventory/{native_id}", {"quantity_change": -1, "reason_code": "SALE"},
                        idempotency_key="shared-1")
    assert refused.status == 422 and refused.error["code"] == "idempotency_key_reused"
    sold = api.patch(f"/api/v1/inventory/{native_id}", {"quantity_change": -1, "reason_code": "SALE"},
                     idempotency_key="native-1")
    assert sold.status == 200
    assert_refused(keyed(api, "POST", {"item_id": "gg4", "quantity": "11"}, key="native-1"), 422,
                   "idempotency_key_reused", "Idempotency-Key")
    assert native(api)["items"][0]["quantity"] == Decimal(10) and item["quantity"] == "12"
    assert len(native(api)["ledgers"][native_id]) == len(before["ledgers"][native_id]) + 1


def test_a_refused_request_stores_nothing_so_its_retry_is_judged_afresh(api, location):
    refused = keyed(api, "POST", {"item_id": "gg4", "name": "Gorilla Glue #4", "quantity": "1.5"},
                    key="retry-1")
    assert_refused(refused, 422, "fractional_quantity_for_unit", "quantity")
    assert native(api)["items"] == []
    fixed = keyed(api, "POST", {"item_id": "gg4", "name": "Gorilla Glue #4", "quantity": "1.5",
                                "units": "Grams"}, key="retry-1")
    assert fixed.status == 200, fixed


def test_a_malformed_key_and_a_missing_required_key_are_refused_in_their_shape(api, location):
    before = native(api)
    assert_refused(keyed(api, "POST", {"item_id": "x", "name": "A"}, key="not a key"), 400,
                   "invalid_idempotency_key", "Idempotency-Key")
    assert cli.main(["set-organization", api.organization_id, "--require-idempotency-key", "yes"]) == 0
    for method, body in (("POST", {"item_id": "x", "name": "A"}), ("DELETE", {"item_id": "x"})):
        assert_refused(cannlytics(api, method, body), 400, "idempotency_key_required",
                       "Idempotency-Key")
    assert native(api) == before
    assert keyed(api, "POST", {"item_id": "x", "name": "A"}).status == 200
