"""The OpenAPI document is generated from the code, valid OpenAPI 3.1, complete for every route in
serverless.yaml, and served with a readable docs page whose assets come from a package."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from inventory.http import openapi
from inventory.http.openapi import MUTATING, is_native
from inventory.manifest import load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi.build(load(ROOT))


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_in_serverless_yaml_is_in_the_document_with_every_method(document):
    manifest = load(ROOT)
    routes = {(r.method, r.path) for r in manifest.http_routes
              if is_native(manifest.function(r.function))}
    documented = {(method, path) for path, method, _ in operations(document)}
    assert documented == routes


def test_operation_ids_are_unique_and_every_operation_documents_its_refusals(document):
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    for path, method, operation in operations(document):
        statuses = set(operation["responses"])
        assert any(s.startswith("2") for s in statuses), (method, path)
        assert {"404", "405"} <= statuses, (method, path)
        if operation.get("security") != []:
            assert {"401", "403"} <= statuses, (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= statuses, (method, path)
        if method == "PATCH":
            assert "412" in statuses


def test_writes_take_an_optional_idempotency_key_and_patch_takes_if_match(document):
    for path, method, operation in operations(document):
        refs = {p.get("$ref") for p in operation["parameters"]}
        assert ("#/components/parameters/IdempotencyKey" in refs) == (method in MUTATING), (method, path)
        assert ("#/components/parameters/IfMatch" in refs) == (method == "PATCH"), (method, path)
    key = document["components"]["parameters"]["IdempotencyKey"]
    assert key["in"] == "header" and key["required"] is False  # seed 003 sends none


def test_path_and_query_parameters_come_from_the_templates_and_query_models(document):
    listing = document["paths"]["/api/v1/inventory"]["get"]
    query = {p["name"]: p for p in listing["parameters"] if p.get("in") == "query"}
    assert {"location_id", "room_type", "category", "low_stock", "page", "limit"} <= set(query)
    assert query["limit"]["schema"]["maximum"] == 200 and query["limit"]["schema"]["minimum"] == 1
    for path, _, operation in operations(document):
        named = {p["name"] for p in operation["parameters"] if p.get("in") == "path"}
        assert named == set(re.findall(r"\{(\w+)\}", path))


def test_quantities_and_money_are_json_numbers_and_bodies_refuse_unknown_fields(document):
    schemas = document["components"]["schemas"]
    item = schemas["InventoryItem"]["properties"]
    assert item["quantity"] == {"title": "Quantity", "type": "number"}
    assert item["available_quantity"]["type"] == "number"
    create = schemas["CreateItem"]
    assert create["additionalProperties"] is False
    assert create["properties"]["quantity"]["default"] == 0
    assert set(create["required"]) >= {"product_id", "sku", "location_id", "room_type"}


def test_item_responses_document_the_etag_and_writes_the_replay_header(document):
    get = document["paths"]["/api/v1/inventory/{item_id}"]["get"]["responses"]["200"]
    assert "ETag" in get["headers"]
    patch = document["paths"]["/api/v1/inventory/{item_id}"]["patch"]["responses"]["200"]
    assert {"ETag", "Idempotent-Replayed"} <= set(patch["headers"])


def test_the_document_and_docs_page_are_served_without_a_key(gateway, backend):
    from werkzeug.test import Client
    client = Client(gateway)
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.mimetype == "application/json"
    assert json.loads(served.get_data()) == json.loads(json.dumps(openapi.document()))
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/api/v1/openapi.json" in html and "//cdn" not in html and "unpkg" not in html
    for asset in re.findall(r'(?:src|href)="(/api/v1/docs/assets/[^"]+)"', html):
        found = client.get(asset)
        assert found.status_code == 200 and len(found.get_data()) > 100, asset
    assert client.get("/api/v1/docs/assets/..%2Fmain.py").status_code == 404
    assert client.get("/api/v1/docs/assets/LICENSE").status_code == 404


def test_write_openapi_writes_the_same_document(tmp_path, document):
    target = tmp_path / "openapi.json"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "write_openapi.py"), str(target)],
                   check=True, cwd=tmp_path, capture_output=True)
    assert json.loads(target.read_text()) == json.loads(json.dumps(document))


def test_links_name_operations_and_parameters_that_exist(document):
    by_id = {operation["operationId"]: (path, operation) for path, _, operation in operations(document)}
    linked = 0
    for _, _, operation in operations(document):
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                path, target = by_id[link["operationId"]]
                names = {p.get("name") for p in target["parameters"]}
                assert set(link.get("parameters", {})) <= names, link
                if "requestBody" in link:
                    body = document["components"]["schemas"][
                        target["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
                    assert set(link["requestBody"]) <= set(body["properties"]), link
                linked += 1
    assert linked >= 15


def test_snapshots_and_the_changes_feed_document_when_history_was_revised(document):
    schemas = document["components"]["schemas"]
    instant_or_null = {"anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}]}

    def field(schema: str, name: str) -> dict:
        found = schemas[schema]["properties"][name]
        return {k: v for k, v in found.items() if k not in ("title", "description")}

    assert field("SnapshotView", "revised_at") == instant_or_null
    assert "revised_at" in schemas["SnapshotView"]["required"]
    assert field("SnapshotLineView", "change") == {
        "anyOf": [{"$ref": "#/components/schemas/SettingChangeView"}, {"type": "null"}]}
    assert set(schemas["SettingChangeView"]["properties"]) == {
        "id", "occurred_at", "recorded_at", "revised_at"}
    assert field("SettingChangeView", "revised_at") == instant_or_null
    assert field("LedgerEntry", "revised_at") == {**instant_or_null, "default": None}
    assert field("LedgerEntry", "revised_by") == {
        "anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    changes = document["paths"]["/api/v1/inventory/{item_id}/changes"]["get"]["responses"]["200"]
    assert changes["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CursorPageLedgerEntry"}
