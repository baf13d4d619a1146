"""The layers point inward: domain and service know nothing of HTTP — no web or cloud import, no
response body, no status code — so that a dialect added later touches only its own package, its
entry points in functions/ and serverless.yaml. And the routes are declared once."""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import inventory
import inventory.service
from inventory.manifest import load
from inventory.service import results

PACKAGE = Path(inventory.__file__).parent
INNER = sorted((PACKAGE / "domain").glob("*.py")) + sorted((PACKAGE / "service").glob("*.py"))
WEB_OR_CLOUD = {"flask", "werkzeug", "functions_framework", "gunicorn", "google", "requests"}


def imported_packages(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):  # function-level imports too
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.level >= 2:
            found.add("inventory." + node.module.split(".")[0])  # ..http from domain or service
    return found


@pytest.mark.parametrize("path", INNER, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_domain_and_service_import_no_web_framework_cloud_client_or_outer_layer(path):
    packages = imported_packages(ast.parse(path.read_text()))
    assert not packages & WEB_OR_CLOUD, packages & WEB_OR_CLOUD
    assert not packages & {"inventory.http", "inventory.adapters", "inventory.local",
                           "inventory.bootstrap"}, packages


@pytest.mark.parametrize("path", sorted((PACKAGE / "service").glob("*.py")), ids=lambda p: p.name)
def test_service_builds_no_response_body(path):
    """No record is dumped into a document, no document has a `data` key, and the only reply the
    service holds is the one the unit of work reads back from an idempotency record."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            assert node.attr not in {"model_dump", "model_dump_json"}, \
                f"{path.name}:{node.lineno} dumps a record"
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            assert "data" not in keys, f"{path.name}:{node.lineno} builds a response document"
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Reply":
            assert path.name == "unit_of_work.py", f"{path.name}:{node.lineno} makes a reply"


def public_service_functions():
    for module_info in pkgutil.iter_modules(inventory.service.__path__):
        module = importlib.import_module(f"inventory.service.{module_info.name}")
        for name, function in vars(module).items():
            if (inspect.isfunction(function) and function.__module__ == module.__name__
                    and not name.startswith("_")):
                yield module_info.name, name, function


def test_use_cases_return_domain_results_not_bodies():
    """Every public service function says what it returns; none returns a dict, a reply or a
    response, and each write returns an Outcome of one of the domain results."""
    result_types = {name for name, kind in vars(results).items() if inspect.isclass(kind)
                    and kind.__module__ == results.__name__}
    writes = 0
    for module, name, function in public_service_functions():
        returned = inspect.signature(function).return_annotation
        assert returned is not inspect.Signature.empty, f"{module}.{name} has no return annotation"
        for banned in ("dict", "Any", "Reply", "Response"):
            assert banned not in str(returned), f"{module}.{name} returns {returned}"
        if str(returned).startswith("Outcome[") and module != "unit_of_work":
            writes += 1
            assert str(returned)[len("Outcome["):-1] in result_types, f"{module}.{name}: {returned}"
    assert writes >= 12  # create, update, bulk, archive, transfer, location, 4 webhooks, POS, sync


def test_domain_errors_name_no_http_status_and_http_maps_every_one():
    from inventory.domain import errors
    from inventory.http.errors import STATUS, status_of
    refusals = [kind for kind in vars(errors).values() if inspect.isclass(kind)
                and issubclass(kind, errors.DomainError) and kind is not errors.DomainError]
    for kind in refusals:
        assert kind in STATUS, f"{kind.__name__} has no status in http/errors.py"
        assert status_of(kind("x")) == STATUS[kind]
    text = (PACKAGE / "domain" / "errors.py").read_text()
    for http_only in ("BadRequest", "PayloadTooLarge", "UnsupportedMediaType", "MethodNotAllowed"):
        assert f"class {http_only}" not in text


def test_routes_are_declared_once_in_the_manifest():
    """No function names a method or a path: each names operations, which serverless.yaml routes."""
    manifest = load()
    for function in manifest.functions:
        if not function.routes:
            continue
        source = function.main.read_text()
        for route in function.routes:
            assert f'"{route.path}"' not in source, f"{function.name} repeats {route.path}"
            assert f"def {route.operation}(" in source, f"{function.name} lacks {route.operation}"
        for verb in ("get", "post", "put", "patch", "delete"):
            assert f"@routes.{verb}(" not in source, function.name
