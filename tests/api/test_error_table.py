"""README.md's error table under "### Errors" lists exactly the (status, `error.code`) pairs the
code can send: every refusal raised in shared/inventory and functions/ (read from the source), the
error table's status for its type (http/errors.py), and the few the HTTP layer writes itself."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import inventory.http.call  # noqa: F401  (every refusal type the HTTP layer knows is imported)
import inventory.http.routes  # noqa: F401
from inventory.domain.errors import DomainError
from inventory.http.errors import STATUS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "shared" / "inventory"
# Operator use cases: the admin CLI prints their refusals; no HTTP route calls them.
NOT_SERVED = {PACKAGE / "service" / "admin.py", PACKAGE / "cli.py"}
# Other dialects answer in their own shapes, not in this table's envelope: Square in Square's
# error shape and codes (README, "Square's Inventory API v2"; tests/api/test_square_sdk.py),
# Cannlytics in theirs (its README section lists its refusals; tests/api/test_cannlytics_api.py).
OTHER_DIALECTS = (PACKAGE / "square", ROOT / "functions" / "square_inventory",
                  PACKAGE / "cannlytics")
# Written by the HTTP layer without raising: a crash, and what routing refuses before a handler.
WRITTEN = {(500, "internal_error"): "http/routes.py", (404, "route_not_found"): "local/gateway.py",
           (405, "method_not_allowed"): "http/routes.py", (400, "bad_request"): "http/routes.py",
           # what the HTTP server refuses before any route runs (http/server_refusals.py)
           (414, "uri_too_long"): "http/server_refusals.py",
           (431, "headers_too_large"): "http/server_refusals.py",
           (505, "http_version_not_supported"): "http/server_refusals.py"}


def refusal_types() -> dict[str, type[DomainError]]:
    found, pending = {}, [DomainError]
    while pending:
        kind = pending.pop()
        found[kind.__name__] = kind
        pending += kind.__subclasses__()
    return found


def status_of(kind: type[DomainError]) -> int:
    return next(STATUS[k] for k in kind.__mro__ if k in STATUS)


def raised_in_code() -> dict[tuple[int, str], str]:
    """(status, code) of every refusal constructed in the source with a literal code (or its
    type's default), and where."""
    sources = [p for p in [*PACKAGE.rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
               if p not in NOT_SERVED
               and not any(p.is_relative_to(other) for other in OTHER_DIALECTS)]
    found = raised_in(sources)
    for (status, code), module in WRITTEN.items():
        assert f'"{code}"' in (PACKAGE / module).read_text(), (code, module)
        found[(status, code)] = module
    return found


def raised_in(sources: list[Path]) -> dict[tuple[int, str], str]:
    """(status, code) of every refusal constructed in `sources` with a literal code (or its
    type's default), and where."""
    kinds = refusal_types()
    found: dict[tuple[int, str], str] = {}
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in kinds or name == "DomainError":
                continue
            keyword = next((k.value for k in node.keywords if k.arg == "code"), None)
            given = keyword if keyword is not None else (node.args[2] if len(node.args) > 2 else None)
            if given is None:
                code = kinds[name].default_code
            elif isinstance(given, ast.Constant) and isinstance(given.value, str):
                code = given.value
            else:
                continue  # a code passed through (a refusal re-raised), counted where it is made
            found[(status_of(kinds[name]), code)] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def readme_table() -> set[tuple[int, str]]:
    section = (ROOT / "README.md").read_text().split("### Errors", 1)[1].split("\n#", 1)[0]
    pairs = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and cells[0].isdigit():
            pairs |= {(int(cells[0]), code) for code in re.findall(r"`([a-z_]+)`", cells[1])}
    return pairs


def test_the_readme_error_table_lists_exactly_what_the_code_sends():
    sent, listed = raised_in_code(), readme_table()
    missing = {pair: where for pair, where in sent.items() if pair not in listed}
    assert not missing, f"sent but not in README.md's error table (status, code: where): {missing}"
    stale = listed - set(sent)
    assert not stale, f"in README.md's error table but never sent with that status: {sorted(stale)}"


def test_a_refused_bulk_update_is_422_bulk_update_refused(api, item):
    response = api.post("/api/v1/inventory/bulk-update", {"updates": [
        {"id": item["id"], "quantity_change": -1, "reason_code": "SALE"},
        {"id": item["id"], "quantity_change": -100, "reason_code": "SALE"}]})
    assert response.status == 422 and response.error["code"] == "bulk_update_refused"
    assert (422, "bulk_update_refused") in readme_table()
    assert response.error["fields"][0]["field"].startswith("updates[1].")
