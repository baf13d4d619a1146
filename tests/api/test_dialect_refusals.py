"""Every refusal on a dialect's route comes in that dialect's shape — a missing or weak key, a
method the path does not take, a path under its prefix that no route has — through the local
server as a user runs it; and the OpenAPI document says so: its routes need a key, and their
refusals are documented in their own shape."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st

from inventory.http import openapi
from inventory.http.matching import compile_template, match
from inventory.manifest import load
from local_server import LocalServer

MANIFEST = load()
DIALECTS = {f.name: f for f in MANIFEST.functions if f.prefix}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def square_shaped(response: requests.Response, status: int, codes: set[str]) -> None:
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert error["code"] in codes and error["category"] in ("INVALID_REQUEST_ERROR",
                                                           "AUTHENTICATION_ERROR")


def datawiz_shaped(response: requests.Response, status: int, codes: set[str]) -> None:
    assert response.status_code == status, response.text
    if response.headers["Content-Type"].startswith("text/html"):  # their .api page
        assert "<h1>Product Inventory List</h1>" in response.text
    else:
        body = response.json()
        assert list(body) == ["detail"] and body["detail"]


def cannlytics_shaped(response: requests.Response, status: int, codes: set[str]) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["message"] and body["code"] in codes


SHAPED = {"square_inventory": square_shaped, "product_inventory": datawiz_shaped,
          "cannlytics_inventory": cannlytics_shaped}
# status -> the codes each dialect may name the refusal by (Datawiz's {"detail"} names none)
CODES = {"square_inventory": {401: {"UNAUTHORIZED"}, 403: {"INSUFFICIENT_SCOPES"},
                              404: {"NOT_FOUND"}, 405: {"METHOD_NOT_ALLOWED"}},
         "product_inventory": {},
         "cannlytics_inventory": {401: {"missing_api_key", "invalid_api_key"},
                                  403: {"insufficient_scope"}, 404: {"route_not_found"},
                                  405: {"method_not_allowed"}}}


def check(function: str, response: requests.Response, status: int) -> None:
    SHAPED[function](response, status, CODES[function].get(status, set()))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = LocalServer(tmp_path_factory.mktemp("dialects") / "data")
    yield running
    running.stop()


def concrete(template: str) -> str:
    """A path a template routes, each parameter filled in."""
    return template.replace("{", "x_").replace("}", "")


# One request per dialect route that needs a key.
KEYED = [(route.function, route.method, route.path) for route in MANIFEST.http_routes
         if route.function in DIALECTS and route.method != "OPTIONS"]


@pytest.mark.parametrize("function,method,template", KEYED)
def test_a_missing_or_unknown_key_is_refused_401_in_the_dialects_shape(server, function, method,
                                                                        template):
    url = f"http://127.0.0.1:{server.port}{concrete(template)}?organization_id=org"
    for headers in ({}, {"Authorization": "Bearer sk_not_a_key"}):
        response = requests.request(method, url, json={}, headers=headers, timeout=30)
        check(function, response, 401)


def admin(server, *arguments: str) -> str:
    """inventory-admin on the server's data, as an operator runs it."""
    done = subprocess.run([sys.executable, "-m", "inventory.cli", *arguments], env=server.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_key_without_the_scope_is_refused_403_in_the_dialects_shape(server):
    organization = re.search(r"organization: (\S+)", admin(server, "create-organization", "Readers"))[1]
    key = admin(server, "create-key", organization, "--scope", "inventory:read").split()[-1]
    base = f"http://127.0.0.1:{server.port}"
    writes = {"square_inventory": "/v2/inventory/changes/batch-create",
              "product_inventory": "/api/v1/product-inventory/",
              "cannlytics_inventory": f"/api/inventory?organization_id={organization}"}
    for function, path in writes.items():
        response = requests.post(base + path, json={}, timeout=30,
                                 headers={"Authorization": f"Bearer {key}"})
        check(function, response, 403)


@pytest.mark.parametrize("function,template", sorted({(r.function, r.path) for r in MANIFEST.http_routes
                                                      if r.function in DIALECTS}))
def test_a_method_the_path_does_not_take_is_refused_405_in_the_dialects_shape_with_allow(
        server, function, template):
    path = concrete(template)
    # What the path takes, every template that matches it counted (/v2/inventory/batch-change
    # is also a catalog object's GET /v2/inventory/{catalog_object_id}).
    allowed = match(MANIFEST.http_routes, "GET", path).allowed
    assert set(allowed) >= {r.method for r in MANIFEST.http_routes if r.path == template}
    for method in sorted(set(METHODS) - set(allowed)):
        response = server.session.request(method, f"http://127.0.0.1:{server.port}{path}",
                                          json={}, timeout=30)
        check(function, response, 405)
        assert response.headers["Allow"] == ", ".join(allowed), (method, path)


SEGMENT = st.from_regex(r"[a-z0-9_-]{1,12}", fullmatch=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(function=st.sampled_from(sorted(DIALECTS)), rest=st.lists(SEGMENT, min_size=2, max_size=4),
       method=st.sampled_from(METHODS))
def test_a_path_under_a_dialects_prefix_that_no_route_has_is_404_in_its_shape(server, function,
                                                                             rest, method):
    prefix = DIALECTS[function].prefix
    path = prefix.rstrip("/") + "/" + "/".join(rest)
    if any(compile_template(route.path).match(path) for route in MANIFEST.http_routes):
        return  # a routed path (such as /v2/inventory/{id}/changes), not this test's
    response = server.session.request(method, f"http://127.0.0.1:{server.port}{path}",
                                      json={}, timeout=30)
    check(function, response, 404)


# --- The OpenAPI document ------------------------------------------------------------------

@pytest.fixture(scope="module")
def document() -> dict:
    return openapi.build(MANIFEST)


def dialect_operations(document, function):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if operation["tags"] == [function]:
                yield path, method.upper(), operation


@pytest.mark.parametrize("function,shape", [("square_inventory", "errors"),
                                            ("product_inventory", None)])
def test_dialect_routes_are_secured_and_their_refusals_documented_in_their_shape(document, function,
                                                                                 shape):
    found = list(dialect_operations(document, function))
    assert found
    for path, method, operation in found:
        if method == "OPTIONS":  # a CORS preflight, and Datawiz's metadata, need no key
            assert operation["security"] == []
            continue
        assert "security" not in operation, (method, path)  # the document's bearer key
        assert {"401", "403", "404", "405"} <= set(operation["responses"]), (method, path)
        refused = operation["responses"]["401"]
        schema = refused["content"]["application/json"]["schema"]
        assert "$ref" not in refused and schema != {"$ref": "#/components/schemas/ErrorEnvelope"}
        if shape:
            assert schema["required"] == [shape]
    assert document["security"] == [{"apiKey": []}]
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_square_documents_the_statuses_it_answers_not_the_native_ones(document):
    batch = document["paths"]["/v2/inventory/changes/batch-create"]["post"]["responses"]
    assert "422" not in batch and "409" not in batch  # Square answers those with 400
    assert {"400", "401", "403", "404", "405", "413", "415", "503"} <= set(batch)
    assert "Retry-After" in batch["503"]["headers"] and "Allow" in batch["405"]["headers"]


def test_every_write_documents_503_with_retry_after(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if method.upper() in openapi.MUTATING:
                answer = operation["responses"].get("503")
                assert answer is not None, (method, path)
                if "$ref" in answer:
                    answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
                assert "Retry-After" in answer["headers"], (method, path)
