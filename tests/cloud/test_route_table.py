"""Routes are declared once, in serverless.yaml, and chosen one way: the local gateway (API
Gateway's stand-in) and each function match a request with the same matcher. A function reads
the table without parsing YAML at its cold start."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from inventory import route_table as table
from inventory.http.matching import match
from inventory.local.gateway import Gateway
from inventory.manifest import load

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = load(ROOT)


def concrete(template: str) -> str:
    return template.replace("{", "x_").replace("}", "")


@pytest.mark.parametrize("route", MANIFEST.http_routes, ids=lambda r: f"{r.method} {r.path}")
def test_the_gateway_and_the_function_choose_the_same_route(route):
    from inventory.http.openapi import function_module
    path = concrete(route.path)
    for method in (route.method, "HEAD") if route.method == "GET" else (route.method,):
        chosen = Gateway(MANIFEST, backends={}).route(method, path)
        assert chosen.route == route
        own = function_module(route.function, MANIFEST.function(route.function).main).routes
        assert match([r.http for r in own.routes], method, path).route == route


def test_a_literal_segment_beats_a_parameter_and_head_goes_where_get_does():
    snapshot = match(MANIFEST.http_routes, "HEAD", "/api/v1/inventory/snapshot")
    assert snapshot.route.operation == "take_snapshot" and snapshot.params == {}
    item = match(MANIFEST.http_routes, "GET", "/api/v1/inventory/itm_1/")
    assert item.route.operation == "get_item" and item.params == {"item_id": "itm_1"}
    refused = match(MANIFEST.http_routes, "PUT", "/api/v1/inventory/itm_1")
    assert refused.route is None
    assert refused.allowed == ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH"]
    assert match(MANIFEST.http_routes, "GET", "/api/v2/nothing") == (None, {}, [], None)


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    shutil.copy(ROOT / "serverless.yaml", tmp_path / "serverless.yaml")
    monkeypatch.setenv("INVENTORY_PROJECT_ROOT", str(tmp_path))
    table.route_table.cache_clear()
    yield tmp_path
    table.route_table.cache_clear()


def test_a_checkout_keeps_the_table_and_reads_it_again_when_the_manifest_changes(checkout):
    assert table.route_table() == tuple(MANIFEST.http_routes)
    kept = checkout / "build" / "route_table.json"
    assert kept.exists()

    manifest = checkout / "serverless.yaml"
    manifest.write_text(manifest.read_text().replace(
        "operation: list_items}", "operation: list_items}\n      - http: {method: GET, "
        "path: /api/v1/inventory/search, operation: search_items}"))
    table.route_table.cache_clear()
    assert ("list_inventory", "GET", "/api/v1/inventory/search", "search_items") in table.route_table()


def test_a_bundle_reads_its_routes_json(tmp_path, monkeypatch):
    bundled = tmp_path / "routes.json"
    table.write_bundled(MANIFEST.http_routes, bundled)
    monkeypatch.setattr(table, "BUNDLED", bundled)
    monkeypatch.setenv("INVENTORY_PROJECT_ROOT", str(tmp_path))  # no serverless.yaml here
    table.route_table.cache_clear()
    try:
        assert table.route_table() == tuple(MANIFEST.http_routes)
    finally:
        table.route_table.cache_clear()
