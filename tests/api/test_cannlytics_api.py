"""/api/inventory as Cannlytics answers it, on each store: create-or-update, list, delete with our
archiving rule; every refusal in their shape `{"success": false, "message"}` with a 4xx, writing
nothing; what is written is visible through the native API and explained by its ledger."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from conftest import Api, events_of, new_organization
from inventory.cannlytics.fields import FIELDS, FREE_FORM
from inventory.domain.codes import Scope

ROOT = Path(__file__).resolve().parents[2]


def cannlytics(api: Api, method: str, body=None, *, organization_id: str | None = "own",
               path: str = "/api/inventory", **kw):
    """A request as their clients send it: no Idempotency-Key, organization_id in the query."""
    query = {} if organization_id is None else {
        "organization_id": api.organization_id if organization_id == "own" else organization_id}
    return api.request(method, path, body, query=query, idempotency_key=False, **kw)


def native(api: Api) -> dict:
    """Everything the native API shows of the organization: items, their ledgers, the events."""
    items = api.get("/api/v1/inventory", query={"limit": 200}).json["data"]
    return {"items": items, "ledgers": {i["id"]: api.changes(i["id"]) for i in items},
            "events": len(events_of(api))}


def native_item(api: Api, sku: str) -> dict:
    [item] = api.get("/api/v1/inventory", query={"sku": sku}).json["data"]
    return item


def assert_refused(response, status: int, code: str, field: str | None = None):
    assert response.status == status, response
    assert response.json["success"] is False and isinstance(response.json["message"], str)
    assert response.json["code"] == code, response
    if field:
        assert response.json["field"] == field, response


@pytest.fixture
def counted(api, location):
    """An item posted through Cannlytics with 12 grams in the vault."""
    response = cannlytics(api, "POST", {"item_id": "gg4", "name": "Gorilla Glue #4",
                                        "quantity": "12", "units": "Grams",
                                        "category_name": "Flower", "area_name": "Vault",
                                        "strain_name": "None", "status": "None"})
    assert response.status == 200, response
    return response.json["data"]


def test_create_answers_the_whole_item_in_their_27_string_fields(api, location, counted):
    assert set(counted) == set(FIELDS) and len(FIELDS) == 27
    assert all(isinstance(value, str) for value in counted.values())
    assert counted["item_id"] == "gg4" and counted["quantity"] == "12" and counted["units"] == "g"
    assert counted["area_id"] == location["id"] and counted["area_name"] == "vault"
    assert counted["category_name"] == "Flower" and counted["weight"] == ""


def test_what_they_write_is_the_native_item_and_the_ledger_explains_it(api, counted):
    item = native_item(api, "gg4")
    assert (item["product_id"], item["product_name"], item["unit"], item["room_type"],
            item["category"], item["quantity"]) == ("gg4", "Gorilla Glue #4", "g", "vault",
                                                    "Flower", Decimal(12))
    recount = cannlytics(api, "POST", {"item_id": "gg4", "quantity": "7.5"})
    assert recount.status == 200 and recount.json["data"] == {"item_id": "gg4", "quantity": "7.5"}
    ledger = api.changes(item["id"])
    assert sum(entry["quantity_change"] for entry in ledger) == Decimal("7.5")
    counts = [e for e in ledger if e["reason_code"] == "AUDIT"]
    assert [(e["quantity_before"], e["quantity_after"]) for e in reversed(counts)] == \
        [(Decimal(0), Decimal(12)), (Decimal(12), Decimal("7.5"))]
    # A native sale shows through their GET.
    sold = api.patch(f"/api/v1/inventory/{item['id']}",
                     {"quantity_change": -2, "reason_code": "SALE"})
    assert sold.status == 200, sold
    [listed] = cannlytics(api, "GET").json["data"]
    assert listed["quantity"] == "5.5"
    assert cannlytics(api, "GET", path="/api/inventory/gg4").json["data"] == listed


def test_an_update_answers_only_the_fields_posted_and_changes_only_those(api, counted):
    before = native_item(api, "gg4")
    response = cannlytics(api, "POST", {"item_id": "gg4", "name": "GG4 (3.5 g)"})
    assert response.json == {"success": True, "data": {"item_id": "gg4", "name": "GG4 (3.5 g)"}}
    after = native_item(api, "gg4")
    assert after["product_name"] == "GG4 (3.5 g)"
    assert {k: v for k, v in after.items() if k not in ("product_name", "version", "updated_at")} \
        == {k: v for k, v in before.items() if k not in ("product_name", "version", "updated_at")}
    cleared = cannlytics(api, "POST", {"item_id": "gg4", "category_name": "None"})
    assert cleared.status == 200 and native_item(api, "gg4")["category"] is None


def test_none_null_and_blank_all_mean_empty(api, location):
    for item_id, empty in (("a", "None"), ("b", None), ("c", "")):
        response = cannlytics(api, "POST", {"item_id": item_id, "name": "A", "quantity": empty,
                                            "units": empty, "area_id": empty, "area_name": empty,
                                            "category_name": empty})
        assert response.status == 200, response
        data = response.json["data"]
        assert (data["quantity"], data["units"], data["area_name"], data["category_name"]) == \
            ("0", "each", "sales_floor", "None")


def test_delete_archives_an_empty_item_and_keeps_its_ledger(api, counted):
    item = native_item(api, "gg4")
    assert cannlytics(api, "POST", {"item_id": "gg4", "quantity": "0"}).status == 200
    response = cannlytics(api, "DELETE", {"item_id": "gg4"})
    assert response.status == 200 and response.json == {"success": True, "data": []}
    assert cannlytics(api, "GET").json == {"success": True, "data": []}
    archived = api.get(f"/api/v1/inventory/{item['id']}").json["data"]
    assert archived["archived_at"] is not None and archived["quantity"] == 0
    assert sum(e["quantity_change"] for e in api.changes(item["id"])) == 0
    # The id is free again: posting it creates a new item.
    again = cannlytics(api, "POST", {"item_id": "gg4", "name": "Gorilla Glue #4"})
    assert again.status == 200 and set(again.json["data"]) == set(FIELDS)


REFUSALS = [
    # (what, request, status, code, field)
    ("no item_id", ("POST", {"name": "A"}), 400, "item_id_required", "item_id"),
    ("item_id None", ("POST", {"item_id": "None", "name": "A"}), 400, "item_id_required", "item_id"),
    ("unknown field", ("POST", {"item_id": "x", "name": "A", "colour": "green"}), 400,
     "unknown_field", "colour"),
    ("an object value", ("POST", {"item_id": "x", "name": {"a": 1}}), 400, "not_a_string", "name"),
    ("a boolean value", ("POST", {"item_id": "x", "approved": True}), 400, "not_a_string", "approved"),
    ("a list body", ("POST", [{"item_id": "x"}]), 400, "invalid_body", "body"),
    ("no name on create", ("POST", {"item_id": "x"}), 422, "name_required", "name"),
    ("empty name", ("POST", {"item_id": "x", "name": "None"}), 422, "name_required", "name"),
    ("quantity text", ("POST", {"item_id": "x", "name": "A", "quantity": "lots"}), 422,
     "invalid_quantity", "quantity"),
    ("negative quantity", ("POST", {"item_id": "x", "name": "A", "quantity": "-1"}), 422,
     "invalid_quantity", "quantity"),
    ("NaN quantity", ("POST", {"item_id": "x", "name": "A", "quantity": "NaN"}), 422,
     "invalid_quantity", "quantity"),
    ("half of an each", ("POST", {"item_id": "x", "name": "A", "quantity": "1.5"}), 422,
     "fractional_quantity_for_unit", "quantity"),
    ("unknown units", ("POST", {"item_id": "x", "name": "A", "units": "parsecs"}), 422,
     "unknown_unit", "units"),
    ("unknown room", ("POST", {"item_id": "x", "name": "A", "area_name": "Attic"}), 422,
     "unknown_room", "area_name"),
    ("unknown location", ("POST", {"item_id": "x", "name": "A", "area_id": "loc_nope"}), 404,
     "location_not_found", "area_id"),
    ("moving by area_name", ("POST", {"item_id": "gg4", "area_name": "quarantine"}), 409,
     "area_change", "area_name"),
    ("moving by area_id", ("POST", {"item_id": "gg4", "area_id": "loc_other"}), 409,
     "area_change", "area_id"),
    ("changing units", ("POST", {"item_id": "gg4", "units": "each"}), 409, "unit_change", "units"),
    ("a fractional recount beyond 3 places", ("POST", {"item_id": "gg4", "quantity": "1.0001"}),
     422, None, "quantity"),
    ("deleting an item with stock", ("DELETE", {"item_id": "gg4"}), 409, "item_has_stock", None),
    ("deleting an unknown item", ("DELETE", {"item_id": "nope"}), 404, "item_not_found", "item_id"),
    ("deleting without item_id", ("DELETE", {}), 400, "item_id_required", "item_id"),
]


@pytest.mark.parametrize("what, sent, status, code, field", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_every_refusal_is_in_their_shape_and_writes_nothing(api, counted, what, sent, status,
                                                            code, field):
    before = native(api)
    method, body = sent
    response = cannlytics(api, method, body)
    assert response.status == status, response
    assert response.json["success"] is False and response.json["message"]
    if code:
        assert response.json["code"] == code, response
    if field:
        assert response.json["field"] == field, response
    assert native(api) == before


def test_organization_id_is_required_and_must_be_the_keys(api, other_api, counted):
    before = native(api)
    for method, body in (("GET", None), ("POST", {"item_id": "gg4", "quantity": "1"}),
                         ("DELETE", {"item_id": "gg4"})):
        assert_refused(cannlytics(api, method, body, organization_id=None), 400,
                       "organization_id_required", "organization_id")
        assert_refused(cannlytics(api, method, body, organization_id=other_api.organization_id),
                       403, "organization_mismatch", "organization_id")
        # Another organization's key cannot reach this one's items by naming it.
        assert_refused(cannlytics(other_api, method, body, organization_id=api.organization_id),
                       403, "organization_mismatch", "organization_id")
    assert native(api) == before


@pytest.mark.parametrize("item_id", ["x" * 101, "line\nbreak", "tab\there", "\u0000"])
def test_an_item_id_that_cannot_be_a_sku_is_refused_naming_item_id(api, counted, item_id):
    before = native(api)
    for method in ("POST", "DELETE"):
        response = cannlytics(api, method, {"item_id": item_id, "name": "A"})
        assert response.status == 422 and response.json["field"] == "item_id", response
    assert native(api) == before


def test_keys_are_checked_first_and_scopes_hold(gateway, services, api, counted):
    before = native(api)
    nobody = Api(gateway, None, api.organization_id)
    assert_refused(cannlytics(nobody, "GET"), 401, "missing_api_key")
    wrong = Api(gateway, "sk_not_a_key", api.organization_id)
    assert_refused(cannlytics(wrong, "POST", {"item_id": "gg4", "quantity": "1"}), 401,
                   "invalid_api_key")
    organization_id, read_only = new_organization(services, "Reader", scopes=[Scope.INVENTORY_READ])
    reader = Api(gateway, read_only, organization_id)
    assert cannlytics(reader, "GET").status == 200
    assert_refused(cannlytics(reader, "POST", {"item_id": "x", "name": "A"}), 403,
                   "insufficient_scope")
    assert native(api) == before


def test_bodies_that_cannot_be_read_are_refused_in_their_shape(api, counted):
    before = native(api)
    assert_refused(cannlytics(api, "POST", raw=b"{not json"), 400, "invalid_json")
    assert_refused(cannlytics(api, "POST", raw=b'{"item_id": "x"}', content_type="text/plain"),
                   415, "unsupported_media_type")
    assert_refused(cannlytics(api, "POST", raw=b""), 400, "body_required")
    assert_refused(cannlytics(api, "GET", path="/api/inventory/nope"), 404, "item_not_found")
    assert native(api) == before


def test_a_method_the_routes_do_not_declare_is_refused_before_the_function(api, counted):
    """As API Gateway does: the gateway answers 405 with Allow from serverless.yaml (in the native
    envelope: the function never runs)."""
    before = native(api)
    for method, path in (("PUT", "/api/inventory"), ("PATCH", "/api/inventory"),
                         ("POST", "/api/inventory/gg4")):
        response = cannlytics(api, method, {"item_id": "gg4", "quantity": "1"}, path=path)
        assert response.status == 405, response
        assert "PUT" not in response.headers["Allow"] and "GET" in response.headers["Allow"]
    assert native(api) == before


def test_an_organization_without_a_location_is_told_to_make_one(api):
    assert_refused(cannlytics(api, "POST", {"item_id": "x", "name": "A"}), 409,
                   "location_required", "area_id")
    assert native(api)["items"] == []


def test_an_item_id_the_native_api_used_in_two_places_is_ambiguous(api, location, counted):
    other = api.location("Boulder")
    api.item(other["id"], sku="gg4", product_id="gg4", quantity=1)
    before = native(api)
    assert_refused(cannlytics(api, "POST", {"item_id": "gg4", "quantity": "3"}), 409,
                   "ambiguous_item_id", "item_id")
    assert native(api) == before


def test_head_answers_as_get_without_a_body_and_options_says_allow(gateway, api, counted):
    client, auth = Client(gateway), {"Authorization": f"Bearer {api.key}"}
    for path in (f"/api/inventory?organization_id={api.organization_id}",
                 f"/api/inventory/gg4?organization_id={api.organization_id}",
                 "/api/inventory?organization_id=org_other", "/api/inventory/nope"):
        got, head = client.get(path, headers=auth), client.head(path, headers=auth)
        assert head.status_code == got.status_code and head.get_data() == b""
        assert int(head.headers["Content-Length"]) == len(got.get_data())
    options = client.options(f"/api/inventory?organization_id={api.organization_id}")
    assert options.status_code == 204
    assert set(options.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "DELETE", "OPTIONS"}


def readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("## Cannlytics: `/api/inventory`", 1)[1].split("\n## ", 1)[0]


def test_the_readme_lists_every_refusal_the_dialect_sends_and_maps_every_field():
    from api.test_error_table import raised_in, readme_table
    section = readme_section()
    listed = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].isdigit():
            listed |= {(int(cells[0]), code) for code in re.findall(r"`([a-z_]+)`", cells[1])}
    sent = raised_in(sorted((ROOT / "shared" / "inventory" / "cannlytics").glob("*.py")))
    assert set(sent) <= listed, set(sent) - listed
    assert listed <= set(sent) | readme_table(), listed - set(sent) - readme_table()
    mapping = section.split("| Cannlytics | Ours |", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \|", mapping, re.M)[-1]
               .replace("`", "").split(", ")) == set(FREE_FORM)
    assert set(re.findall(r"`([a-z_]+)`", mapping)) >= set(FIELDS)


VALUES = st.one_of(st.none(), st.sampled_from(["None", "", "0", "1.5", "-2", "Grams", "vault",
                                               "loc_nope", "gg4"]),
                   st.text(max_size=30), st.integers(-5, 5), st.booleans())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8))
def test_any_body_of_their_fields_is_answered_in_their_shape_never_a_5xx(api, counted, body):
    response = cannlytics(api, "POST", body)
    assert response.status < 500, response
    assert isinstance(response.json["success"], bool) and set(response.json) >= {"success"}
    if response.status >= 400:
        assert response.json["success"] is False and response.json["message"]
    for item in api.get("/api/v1/inventory", query={"limit": 200}).json["data"]:
        assert sum(e["quantity_change"] for e in api.changes(item["id"])) == item["quantity"]


def test_their_free_form_fields_are_kept_as_item_attributes(api, counted):
    posted = cannlytics(api, "POST", {"item_id": "gg4", "strain_name": "Old-time Moonshine",
                                      "weight": "3.5", "weight_units": "g"})
    assert posted.status == 200, posted
    [listed] = cannlytics(api, "GET").json["data"]
    assert (listed["strain_name"], listed["weight"], listed["weight_units"]) == \
        ("Old-time Moonshine", "3.5", "g")
    item = native_item(api, "gg4")
    assert item["attributes"] == {"strain_name": "Old-time Moonshine", "weight": "3.5",
                                  "weight_units": "g"}
    assert sum(e["quantity_change"] for e in api.changes(item["id"])) == item["quantity"] == 12
    cleared = cannlytics(api, "POST", {"item_id": "gg4", "strain_name": "None", "weight": ""})
    assert cleared.status == 200, cleared
    [listed] = cannlytics(api, "GET").json["data"]
    assert (listed["strain_name"], listed["weight"]) == ("None", "")
    assert native_item(api, "gg4")["attributes"] == {"weight_units": "g"}


def test_area_id_names_a_location_by_its_code_and_answers_with_it(api, location):
    lab = api.post("/api/v1/locations", {"name": "Lab", "time_zone": "America/Denver",
                                         "code": "LAB-1"})
    assert lab.status == 201, lab
    created = cannlytics(api, "POST", {"item_id": "vial", "name": "Vial", "area_id": "LAB-1"})
    assert created.status == 200, created
    assert created.json["data"]["area_id"] == "LAB-1"
    assert native_item(api, "vial")["location_id"] == lab.json["data"]["id"]
    for same in ("LAB-1", lab.json["data"]["id"]):  # not a move
        assert cannlytics(api, "POST", {"item_id": "vial", "area_id": same}).status == 200
    assert_refused(cannlytics(api, "POST", {"item_id": "vial", "area_id": location["id"]}), 409,
                   "area_change", "area_id")
