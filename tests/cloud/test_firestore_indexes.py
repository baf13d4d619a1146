"""Every Firestore query has its index in infra/firestore.tf, and every declared index is used.

Two sources of queries: the committed list infra/firestore_queries.json (checked always, so the
check holds when tests run selectively), and the shapes recorded from this very session
(tests/firestore_queries.py; this module runs last), which must all be in the committed list —
a new query fails here until it is listed, and listing it checks its index. Refresh the list:
FIRESTORE_QUERIES_OUT=infra/firestore_queries.json .venv/bin/python -m pytest -m firestore
"""
from __future__ import annotations

import hcl2
import pytest

from firestore_queries import (Index, QueryShape, committed_shapes, declared_indexes, needs_composite,
                               normalised, serving_indexes)
from cloud.test_infra import blocks


@pytest.fixture(scope="module")
def indexes() -> list[Index]:
    return declared_indexes(blocks("locals")["firestore_indexes"])


def group_fields() -> frozenset[tuple[str, str]]:
    """(collection, field) of the single-field overrides that enable collection-group scope."""
    return frozenset((r["collection"], r["field"]) for name, r in blocks("resource").items()
                     if name.startswith("google_firestore_field.") and "COLLECTION_GROUP" in str(r.get("index_config")))


def test_every_listed_query_is_served_by_a_declared_index(indexes):
    groups = group_fields()
    unserved = {shape: query for shape, query in committed_shapes().items()
                if serving_indexes(shape, indexes, groups) is None}
    assert not unserved, "queries real Firestore would refuse (FAILED_PRECONDITION):\n" + "\n".join(
        f"{query}: {shape.as_json()}" for shape, query in unserved.items())


def test_collection_group_queries_need_their_fields_enabled_in_that_scope():
    query = QueryShape("ledger", "COLLECTION_GROUP", frozenset({"id"}), ())
    assert serving_indexes(query, []) is None
    assert serving_indexes(query, [], frozenset({("ledger", "id")})) == []
    assert ("ledger", "id") in group_fields()


def test_every_declared_index_serves_a_listed_query(indexes):
    used = {index.name for shape in committed_shapes()
            for index in serving_indexes(shape, indexes, group_fields()) or []}
    assert {index.name for index in indexes} - used == set()


def test_every_query_this_session_sent_to_the_emulator_is_listed(recorded_queries):
    if not recorded_queries:
        pytest.skip("no Firestore test ran in this session; the committed list is checked above")
    listed = committed_shapes()
    unlisted = {shape: test for shape, test in recorded_queries.items() if shape not in listed}
    assert not unlisted, "queries missing from infra/firestore_queries.json:\n" + "\n".join(
        f"{test}: {shape.as_json()}" for shape, test in unlisted.items())


# --- the rules themselves, on the documented examples -------------------------------------------

def shape(equalities=(), ranges=(), orders=()):
    return normalised("items", "COLLECTION", set(equalities), set(ranges), list(orders))


def index(name, *fields):
    return Index(name, "items", "COLLECTION", tuple(fields))


def test_equalities_alone_and_one_range_or_order_alone_need_no_composite_index():
    assert not needs_composite(shape(equalities=["a", "b", "c"]))
    assert not needs_composite(shape(ranges=["a"]))
    assert not needs_composite(shape(ranges=["a"], orders=[("a", "DESCENDING")]))
    assert serving_indexes(shape(orders=[("a", "ASCENDING")]), []) == []


def test_equality_with_a_range_on_another_field_needs_that_composite_index():
    query = shape(equalities=["organization_id", "archived_at"], ranges=["updated_at"])
    assert query.orders == (("updated_at", "ASCENDING"),)
    assert serving_indexes(query, []) is None
    # The 13 lines of the issue: an index with the range field after another order does not serve it.
    assert serving_indexes(query, [index("x", ("organization_id", "ASCENDING"), ("archived_at", "ASCENDING"),
                                         ("id", "ASCENDING"), ("updated_at", "ASCENDING"))]) is None
    served = index("y", ("archived_at", "ASCENDING"), ("organization_id", "ASCENDING"), ("updated_at", "ASCENDING"))
    assert serving_indexes(query, [served]) == [served]


def test_range_fields_follow_the_explicit_orders_in_the_last_orders_direction():
    query = shape(equalities=["a"], ranges=["z", "m"], orders=[("id", "DESCENDING")])
    assert query.orders == (("id", "DESCENDING"), ("m", "DESCENDING"), ("z", "DESCENDING"))


def test_directions_must_match():
    query = shape(equalities=["a"], orders=[("b", "DESCENDING")])
    assert serving_indexes(query, [index("asc", ("a", "ASCENDING"), ("b", "ASCENDING"))]) is None


def test_indexes_with_the_same_orders_merge_for_combined_equalities():
    query = shape(equalities=["org", "location", "category"], orders=[("id", "ASCENDING")])
    by_location = index("l", ("org", "ASCENDING"), ("location", "ASCENDING"), ("id", "ASCENDING"))
    by_category = index("c", ("org", "ASCENDING"), ("category", "ASCENDING"), ("id", "ASCENDING"))
    assert set(serving_indexes(query, [by_location, by_category])) == {by_location, by_category}
    assert serving_indexes(query, [by_location]) is None
    # An index with a field the query does not filter cannot take part.
    other = index("o", ("org", "ASCENDING"), ("room", "ASCENDING"), ("id", "ASCENDING"))
    assert serving_indexes(shape(equalities=["org"], orders=[("id", "ASCENDING")]), [other]) is None


def test_recorded_shapes_come_from_the_client_protobuf():
    from google.cloud.firestore_v1 import Client
    from google.auth.credentials import AnonymousCredentials
    from firestore_queries import shape_of
    client = Client(project="shape", credentials=AnonymousCredentials())
    query = (client.collection("items").where("organization_id", "==", "o").where("archived_at", "==", None)
             .where("updated_at", ">", "t").order_by("id").start_after({"id": "x"}).limit(3))
    assert shape_of(query._to_protobuf()) == QueryShape(
        "items", "COLLECTION", frozenset({"organization_id", "archived_at"}),
        (("id", "ASCENDING"), ("updated_at", "ASCENDING")))
    counted = client.collection("items").where("organization_id", "==", "o").where("updated_at", ">", "t")
    assert shape_of(counted._to_protobuf()).orders == (("updated_at", "ASCENDING"),)
    assert hcl2  # python-hcl2 parses infra/firestore.tf (test_infra.blocks)


# --- write ceilings: no single range shared by every organization ------------------------------

def exempted_event_fields() -> set[str]:
    import re
    overrides = blocks("resource")["google_firestore_field.events_unindexed"]
    assert overrides["collection"] == "events"
    assert [{k: v for k, v in c.items() if k != "__is_block__"} for c in overrides["index_config"]] == [{}]
    return set(re.findall(r'"([a-z_]+)"', overrides["for_each"]))


def test_events_fields_that_grow_with_time_have_no_single_field_index_and_no_query_needs_one(indexes):
    exempt = exempted_event_fields()
    assert {"sequence", "occurred_at", "published_at", "id", "data"} <= exempt
    for shape, query in committed_shapes().items():
        if shape.collection == "events" and serving_indexes(shape, indexes) == []:
            used = set(shape.equalities) | {field for field, _ in shape.orders}
            assert not used & exempt, f"{query} needs the exempted single-field index of {used & exempt}"


def test_every_events_index_that_grows_with_time_starts_with_a_range_of_its_own(indexes):
    """(organization_id, …) makes one range per organization, relay_shard one per shard."""
    for index in indexes:
        if index.collection == "events":
            assert index.fields[0][0] in ("organization_id", "relay_shard", "fan_out_shard"), index.name


def test_relay_shards_spread_organizations():
    from inventory.adapters.firestore.transaction import RELAY_SHARDS, relay_shard
    shards = {relay_shard(f"org_{n}") for n in range(200)}
    assert shards == set(range(RELAY_SHARDS))
    assert RELAY_SHARDS <= 30  # Firestore's limit on an `in` filter's values
