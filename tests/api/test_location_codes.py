"""A location's own code (a Square location id, a Datawiz shop number) over HTTP: set on create,
unique in the organization (409 `duplicate_location_code`, nothing written, concurrent creates
too), and taken wherever a location id is; an id wins over a code with the same text."""
from __future__ import annotations

import re
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import Api
from inventory import bootstrap
from inventory.service import sync


_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _today_in_denver() -> str:
    return datetime.now(ZoneInfo("America/Denver")).date().isoformat()


def _location(api: Api, name: str, code: str | None) -> dict:
    body = {"name": name, "time_zone": "America/Denver"}
    if code is not None:
        body["code"] = code
    response = api.post("/api/v1/locations", body)
    assert response.status == 201, response
    return response.json["data"]


def test_a_location_is_created_with_its_code_and_listed_with_it(api):
    shop = _location(api, "Shop 3", "3")
    plain = _location(api, "Warehouse", None)
    assert shop["code"] == "3" and plain["code"] is None
    listed = {l["id"]: l["code"] for l in api.get("/api/v1/locations").json["data"]}
    assert listed == {shop["id"]: "3", plain["id"]: None}


def test_a_duplicate_code_is_refused_and_writes_nothing(api, other_api):
    _location(api, "Shop 3", "3")
    response = api.post("/api/v1/locations", {"name": "Again", "time_zone": "UTC", "code": "3"})
    assert response.status == 409, response
    assert response.error["code"] == "duplicate_location_code"
    assert response.field_names() == ["code"]
    assert [l["name"] for l in api.get("/api/v1/locations").json["data"]] == ["Shop 3"]
    assert _location(other_api, "Theirs", "3")["code"] == "3"  # codes are per organization


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=st.text(max_size=80).filter(lambda text: not _CODE.fullmatch(text))
       | st.integers() | st.booleans() | st.lists(st.text(max_size=3), max_size=2))
def test_a_code_of_another_shape_is_refused_and_writes_nothing(api, code):
    response = api.post("/api/v1/locations", {"name": "S", "time_zone": "UTC", "code": code})
    assert response.status == 422, (code, response)
    assert response.field_names() == ["code"]
    assert api.get("/api/v1/locations").json["data"] == []


def test_concurrent_creates_of_one_code_leave_one_location(api, gateway, backend):
    writers = 4 if backend == "sqlite" else 2
    start, statuses = threading.Barrier(writers), []

    def create(n: int) -> None:
        client = Api(gateway, api.key, api.organization_id)
        start.wait()
        statuses.append(client.post("/api/v1/locations", {"name": f"S{n}", "time_zone": "UTC",
                                                          "code": "L8Q3NTWQ7A0S6"}).status)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * (writers - 1)
    assert [l["code"] for l in api.get("/api/v1/locations").json["data"]] == ["L8Q3NTWQ7A0S6"]


def test_the_code_is_taken_wherever_a_location_id_is(api, services, tmp_path):
    shop = _location(api, "Shop 3", "3")
    other = _location(api, "Shop 4", "4")
    item = api.item("3", sku="BD", quantity=10)
    assert item["location_id"] == shop["id"]
    listed = api.get("/api/v1/inventory", query={"location_id": "3"}).json["data"]
    assert [i["id"] for i in listed] == [item["id"]]
    assert api.get("/api/v1/inventory", query={"location_id": "4"}).json["data"] == []
    snapshot = api.get("/api/v1/inventory/snapshot", query={"location_id": "3", "date": _today_in_denver()})
    assert snapshot.status == 200, snapshot
    assert snapshot.json["data"]["location_id"] == shop["id"]
    assert [line["id"] for line in snapshot.json["data"]["items"]] == [item["id"]]
    moved = api.post("/api/v1/inventory/transfers", {"from_item_id": item["id"],
                                                     "to_location_id": "4", "quantity": 4})
    assert moved.status == 201, moved
    assert moved.json["data"]["to_item"]["location_id"] == other["id"]

    root = bootstrap.services().settings.pos_file_root / api.organization_id
    root.mkdir(parents=True, exist_ok=True)
    (root / "pos.csv").write_text("sku,room_type,quantity,product_name\nBD,sales_floor,9,Blue Dream\n")
    connected = api.request("PUT", "/api/v1/locations/3/pos-connection",
                            {"kind": "file", "settings": {"path": "pos.csv"}})
    assert connected.status == 200, connected
    assert connected.json["data"]["location_id"] == shop["id"]
    shown = api.get("/api/v1/locations/3/pos-connection")
    assert shown.status == 200 and shown.json["data"]["location_id"] == shop["id"]
    assert api.get(f"/api/v1/locations/{shop['id']}/pos-connection").json == shown.json
    queued = api.post("/api/v1/inventory/sync", {"location_id": "3", "sync_type": "full"})
    assert queued.status == 202, queued
    assert queued.json["data"]["location_id"] == shop["id"]
    sync.run_sync(bootstrap.services(), queued.json["data"]["id"])
    assert api.get(f"/api/v1/inventory/{item['id']}").json["data"]["quantity"] == 9


def test_an_id_wins_over_a_code_with_the_same_text(api):
    first = _location(api, "First", None)
    second = _location(api, "Second", first["id"])  # a code that reads like the first's id
    api.item(second["id"], sku="B")
    by_first = api.get("/api/v1/inventory", query={"location_id": first["id"]}).json
    assert by_first["data"] == [] and by_first["pagination"]["total"] == 0  # not the second's item
    assert api.item(first["id"], sku="A")["location_id"] == first["id"]
    assert [i["sku"] for i in api.get("/api/v1/inventory",
                                       query={"location_id": first["id"]}).json["data"]] == ["A"]
    snapshot = api.get("/api/v1/inventory/snapshot", query={"location_id": first["id"],
                                                           "date": _today_in_denver()})
    assert snapshot.json["data"]["location_id"] == first["id"]


def test_an_unknown_id_or_code_is_not_found_on_every_write_route(api, location):
    item = api.item(location["id"], sku="BD", quantity=3)
    cases = [
        ("POST", "/api/v1/inventory", {"product_id": "p", "product_name": "n", "sku": "S",
                                       "room_type": "sales_floor", "location_id": "nope"}, "location_id"),
        ("POST", "/api/v1/inventory/transfers", {"from_item_id": item["id"], "to_location_id": "nope",
                                                 "quantity": 1}, "to_location_id"),
        ("POST", "/api/v1/inventory/sync", {"location_id": "nope", "sync_type": "full"}, "location_id"),
        ("PUT", "/api/v1/locations/nope/pos-connection", {"kind": "file", "settings": {"path": "x.csv"}},
         "location_id"),
    ]
    for method, path, body, field in cases:
        response = api.request(method, path, body)
        assert response.status == 404, (path, response)
        assert response.field_names() == [field]
    assert api.get("/api/v1/inventory/snapshot", query={"location_id": "nope", "date": _today_in_denver()}).status == 404
    assert api.get("/api/v1/inventory", query={"location_id": "nope"}).json["data"] == []
    assert api.get("/api/v1/inventory").json["pagination"]["total"] == 1
