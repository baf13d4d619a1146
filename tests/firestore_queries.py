"""Every query the suite sends to the Firestore emulator, as a shape, and Firestore's rules for
which indexes serve a shape.

The emulator serves any query without an index; real Firestore answers FAILED_PRECONDITION when
no index serves it. This pytest plugin (loaded by tests/conftest.py) wraps the client's
BaseQuery._to_protobuf, the one place every query (get, stream, count, in a transaction or
not) is built, and keeps each query's shape. tests/cloud/test_firestore_indexes.py, moved to the end
of the session, checks them against infra/firestore.tf and the committed list
infra/firestore_queries.json.

Rules (https://firebase.google.com/docs/firestore/query-data/index-overview,
https://firebase.google.com/docs/firestore/query-data/multiple-range-fields):
- Equality filters (==, in, == null) alone are served by the automatic single-field indexes,
  merged when there are several.
- One field filtered by a range or ordered, with no other filter or order, is served by its
  automatic single-field index, in either direction.
- Otherwise the query needs a composite index: its equality fields first (any order), then the
  query's orders, each with its direction. The orders are the explicit order-bys followed by the
  range fields not ordered yet, in lexicographic order, in the direction of the last order-by;
  the document name (__name__) ends every index and every query, so it is left out.
- Firestore merges composite indexes that end with the same orders ("index merging"): several
  indexes whose equality prefixes together hold every equality field of the query serve it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "infra" / "firestore_queries.json"

EQUALITY = {"EQUAL", "IN", "IS_NULL", "ARRAY_CONTAINS", "ARRAY_CONTAINS_ANY"}
RANGE = {"LESS_THAN", "LESS_THAN_OR_EQUAL", "GREATER_THAN", "GREATER_THAN_OR_EQUAL",
         "NOT_EQUAL", "NOT_IN", "IS_NOT_NULL", "IS_NOT_NAN"}


@dataclass(frozen=True)
class QueryShape:
    """What decides which index a query needs: where it runs, its equality fields, its orders."""
    collection: str
    scope: str  # COLLECTION or COLLECTION_GROUP
    equalities: frozenset[str]
    orders: tuple[tuple[str, str], ...]  # normalised, without __name__

    def as_json(self) -> dict:
        return {"collection": self.collection, "scope": self.scope,
                "equalities": sorted(self.equalities), "orders": [list(o) for o in self.orders]}

    @classmethod
    def from_json(cls, row: dict) -> "QueryShape":
        return cls(row["collection"], row["scope"], frozenset(row["equalities"]),
                   tuple((field, order) for field, order in row["orders"]))


def shape_of(structured_query) -> QueryShape:
    """The shape of a google.cloud.firestore_v1 StructuredQuery protobuf."""
    selector = structured_query.from_[0]
    equalities, ranges = set(), set()
    for kind, field, op in _filters(structured_query.where):
        (equalities if op in EQUALITY else ranges).add(field)
    orders = [(o.field.field_path, _direction(o.direction)) for o in structured_query.order_by]
    return normalised(selector.collection_id, "COLLECTION_GROUP" if selector.all_descendants else "COLLECTION",
                      equalities, ranges, orders)


def normalised(collection: str, scope: str, equalities, ranges, orders) -> QueryShape:
    orders = [o for o in orders if o[0] != "__name__"]
    ordered = {field for field, _ in orders}
    last = orders[-1][1] if orders else "ASCENDING"
    orders += [(field, last) for field in sorted(set(ranges) - ordered)]
    return QueryShape(collection, scope, frozenset(equalities), tuple(orders))


def _filters(where):
    """(kind, field, operator name) of every filter in a StructuredQuery.Filter."""
    kind = where._pb.WhichOneof("filter_type")
    if kind == "composite_filter":
        for child in where.composite_filter.filters:
            yield from _filters(child)
    elif kind == "field_filter":
        yield kind, where.field_filter.field.field_path, where.field_filter.op.name
    elif kind == "unary_filter":
        yield kind, where.unary_filter.field.field_path, where.unary_filter.op.name


def _direction(direction) -> str:
    return "DESCENDING" if getattr(direction, "name", str(direction)) == "DESCENDING" else "ASCENDING"


# --- which indexes serve a shape ---------------------------------------------------------------

@dataclass(frozen=True)
class Index:
    name: str
    collection: str
    scope: str
    fields: tuple[tuple[str, str], ...]


def needs_composite(shape: QueryShape) -> bool:
    if not shape.orders:
        return False  # equalities only: merged single-field indexes
    return bool(shape.equalities) or len(shape.orders) > 1


def serving_indexes(shape: QueryShape, indexes: list[Index],
                    group_fields: frozenset[tuple[str, str]] = frozenset()) -> list[Index] | None:
    """The composite indexes that serve the shape ([] if single-field ones do), None if none do.
    Single-field indexes are automatic in collection scope only; in collection-group scope each
    field needs an override enabling it (`group_fields`: (collection, field))."""
    if not needs_composite(shape):
        if shape.scope == "COLLECTION_GROUP":
            used = set(shape.equalities) | {field for field, _ in shape.orders}
            return [] if all((shape.collection, field) in group_fields for field in used) else None
        return []
    suffix = len(shape.orders)
    usable = [index for index in indexes
              if (index.collection, index.scope) == (shape.collection, shape.scope)
              and len(index.fields) >= suffix
              and index.fields[-suffix:] == shape.orders
              and {field for field, _ in index.fields[:-suffix]} <= shape.equalities]
    # One index holding every equality field, or several merged whose prefixes hold them all.
    exact = [i for i in usable if {f for f, _ in i.fields[:-suffix]} == shape.equalities]
    if exact:
        return exact[:1]
    covered = set().union(*({f for f, _ in i.fields[:-suffix]} for i in usable)) if usable else set()
    return usable if covered == shape.equalities else None


def declared_indexes(firestore_indexes: dict) -> list[Index]:
    return [Index(name, i["collection"], i["scope"], tuple((f, o) for f, o in i["fields"]))
            for name, i in firestore_indexes.items()]


def committed_shapes() -> dict[QueryShape, str]:
    """The committed list: shape -> the query it is (infra/firestore_queries.json)."""
    return {QueryShape.from_json(row): row["query"] for row in json.loads(COMMITTED.read_text())}


# --- the recording plugin ----------------------------------------------------------------------

RECORDED: dict[QueryShape, str] = {}  # shape -> the first test that sent it


def _install(current_test: list[str]) -> None:
    from google.cloud.firestore_v1 import base_query

    original = base_query.BaseQuery._to_protobuf
    if getattr(original, "recording", False):
        return

    def recording(self):
        structured = original(self)
        if not current_test[0].split("::")[0].endswith(CHECK_MODULE):  # its own examples are not the store's
            RECORDED.setdefault(shape_of(structured), current_test[0])
        return structured

    recording.recording = True
    base_query.BaseQuery._to_protobuf = recording


_CURRENT = [""]
CHECK_MODULE = "test_firestore_indexes.py"


def pytest_configure(config):
    _install(_CURRENT)


def pytest_runtest_setup(item):
    _CURRENT[0] = item.nodeid


@pytest.hookimpl(trylast=True)  # after any plugin that reorders tests
def pytest_collection_modifyitems(session, config, items):
    """The recorded-queries check runs after every test that could send one."""
    last = [item for item in items if item.nodeid.split("::")[0].endswith(CHECK_MODULE)]
    items[:] = [item for item in items if item not in last] + last


def pytest_sessionfinish(session, exitstatus):
    """FIRESTORE_QUERIES_OUT=path writes what was recorded, to refresh the committed list."""
    import os
    target = os.environ.get("FIRESTORE_QUERIES_OUT")
    if target and RECORDED:
        rows = [{**shape.as_json(), "query": test} for shape, test in RECORDED.items()]
        Path(target).write_text(json.dumps(sorted(rows, key=json.dumps), indent=1) + "\n")


@pytest.fixture
def recorded_queries() -> dict[QueryShape, str]:
    return dict(RECORDED)
