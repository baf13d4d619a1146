"""POS sync: file and REST connectors, full and incremental runs, refusals and bad POS data."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from conftest import events_of
from inventory import bootstrap
from inventory.domain.sync import SyncType
from inventory.service import sync
from pos_server import PosServer
from inventory.local.loopback import free_port

CSV = """sku,room_type,quantity,product_name,category,unit,unit_cost,unit_price
BD-35,sales_floor,40,Blue Dream 3.5g,flower,each,12.50,35.00
NEW-1,vault,12.5,Bulk OG,flower,g,2.10,
MG-10,sales_floor,6,Mango Gummies,edibles,each,8,20
"""


@pytest.fixture
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    bootstrap.reset()


def pos_folder(api) -> Path:
    """The organization's own POS folder, `<INVENTORY_POS_FILE_ROOT>/<organization_id>/`."""
    folder: Path = bootstrap.services().settings.pos_file_root / api.organization_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def export(api, name: str, text: str) -> str:
    (pos_folder(api) / name).write_text(text)
    return name


def connect(api, location_id, **body):
    response = api.request("PUT", f"/api/v1/locations/{location_id}/pos-connection", body)
    assert response.status == 200, response
    return response.json["data"]


def run(api, services, location_id, sync_type="full"):
    queued = api.post("/api/v1/inventory/sync", {"location_id": location_id, "sync_type": sync_type})
    assert queued.status == 202, queued
    assert queued.json["data"]["status"] == "queued"
    sync.run_sync(bootstrap.services(), queued.json["data"]["id"])  # the worker's part
    done = api.get(f"/api/v1/inventory/sync/{queued.json['data']['id']}")
    assert done.status == 200
    return done.json["data"]


def by_sku(api):
    return {i["sku"]: i for i in api.get("/api/v1/inventory").json["data"]}


def test_full_sync_from_a_csv_export_reconciles_with_an_explained_ledger(api, location, services):
    api.item(location["id"], sku="BD-35", quantity=48)
    api.item(location["id"], sku="MG-10", quantity=6)
    api.item(location["id"], sku="GONE", quantity=3)
    connect(api, location["id"], kind="file", settings={"path": export(api, "pos.csv", CSV)})
    before_events = len(events_of(api))
    result = run(api, services, location["id"])
    assert result["status"] == "succeeded", result
    summary = result["summary"]
    assert (summary["seen"], summary["created"], summary["updated"], summary["unchanged"]) == (3, 1, 1, 1)
    assert summary["missing"] == ["GONE"] and summary["errors"] == []
    items = by_sku(api)
    assert items["BD-35"]["quantity"] == 40 and items["BD-35"]["last_sync"]
    assert items["NEW-1"]["quantity"] == Decimal("12.5") and items["NEW-1"]["room_type"] == "vault"
    assert items["MG-10"]["last_sync"] and items["GONE"]["quantity"] == 3  # confirmed unchanged
    [correction, _] = api.changes(items["BD-35"]["id"])
    assert correction["reason_code"] == "AUDIT" and correction["source"] == "pos_sync"
    assert correction["sync_id"] == result["id"] and correction["quantity_change"] == -8
    events = events_of(api)[before_events:]
    assert [e["type"] for e in events].count("inventory.updated") == 2
    completed = [e for e in events if e["type"] == "inventory.sync.completed"]
    assert len(completed) == 1 and completed[0]["data"]["sync"]["summary"]["updated"] == 1


def test_running_the_same_sync_again_changes_nothing(api, location, services):
    connect(api, location["id"], kind="file", settings={"path": export(api, "pos.csv", CSV)})
    run(api, services, location["id"])
    ledger = {sku: len(api.changes(i["id"])) for sku, i in by_sku(api).items()}
    again = run(api, services, location["id"])
    assert again["summary"]["unchanged"] == 3 and again["summary"]["created"] == 0
    assert {sku: len(api.changes(i["id"])) for sku, i in by_sku(api).items()} == ledger


def test_second_sync_while_one_is_queued_is_409(api, location, services):
    connect(api, location["id"], kind="file", settings={"path": export(api, "pos.csv", CSV)})
    first = api.post("/api/v1/inventory/sync", {"location_id": location["id"], "sync_type": "full"})
    second = api.post("/api/v1/inventory/sync", {"location_id": location["id"], "sync_type": "incremental"})
    assert first.status == 202 and second.status == 409
    assert second.error["code"] == "sync_in_progress"


def test_sync_refusals(api, location):
    assert api.post("/api/v1/inventory/sync", {"location_id": location["id"], "sync_type": "full"}).status == 409
    assert api.post("/api/v1/inventory/sync", {"location_id": "loc_nope", "sync_type": "full"}).status == 404
    bad = api.post("/api/v1/inventory/sync", {"location_id": location["id"], "sync_type": "partial"})
    assert bad.status == 422 and bad.field_names() == ["sync_type"]
    assert api.get("/api/v1/inventory/sync/syn_nope").status == 404


def test_bad_pos_rows_are_reported_per_row_and_never_corrupt_items(api, location, services):
    api.item(location["id"], sku="BD-35", quantity=48)
    text = ("sku,room_type,quantity\n"
            "BD-35,sales_floor,forty\n"          # wrong type
            "NEG,sales_floor,-4\n"               # negative count
            "ATTIC,attic,3\n"                    # unknown room
            "DUP,vault,1\n"
            "DUP,vault,2\n"                      # duplicate SKU in the same room
            "HALF,vault\n")                      # truncated line
    connect(api, location["id"], kind="file", settings={"path": export(api, "bad.csv", text)})
    result = run(api, services, location["id"])
    assert result["status"] == "succeeded"
    errors = {(e["row"], e["field"]) for e in result["summary"]["errors"]}
    assert errors == {(1, "quantity"), (2, "quantity"), (3, "room_type"), (5, "sku"), (6, "quantity")}
    items = by_sku(api)
    assert items["BD-35"]["quantity"] == 48 and items["DUP"]["quantity"] == 1
    assert set(items) == {"BD-35", "DUP"}


def test_truncated_json_export_fails_the_run_and_applies_nothing(api, location, services):
    connect(api, location["id"], kind="file",
            settings={"path": export(api, "pos.json", '[{"sku": "A", "quantity": 1}, {"sku": "B", "qu')})
    result = run(api, services, location["id"])
    assert result["status"] == "failed" and "JSONDecodeError" in result["error"]
    assert by_sku(api) == {}


def test_export_outside_the_pos_folder_is_refused(api, location):
    response = api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                           {"kind": "file", "settings": {"path": "../../etc/passwd"}})
    assert response.status == 422 and response.field_names() == ["settings.path"]
    missing = api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                          {"kind": "http", "settings": {}})
    assert missing.status == 422 and missing.field_names() == ["settings.base_url"]


ROWS = [{"sku": "A", "quantity": 5, "updated_at": "2026-11-01T10:00:00Z"},
        {"sku": "B", "quantity": 7, "room_type": "vault", "updated_at": "2026-11-02T10:00:00Z"},
        {"sku": "C", "quantity": 1, "updated_at": "2026-11-03T10:00:00Z"}]


def test_rest_pos_full_then_incremental_sync(loopback_allowed, api, location, services):
    pos = PosServer([dict(r) for r in ROWS])
    try:
        shown = connect(api, location["id"], kind="http", settings={"base_url": pos.url}, secret="pos-token")
        assert shown["has_secret"] is True and "secret" not in shown
        assert "secret" not in api.get(f"/api/v1/locations/{location['id']}/pos-connection").json["data"]
        full = run(api, services, location["id"])
        assert full["status"] == "succeeded" and full["summary"]["created"] == 3
        assert all(r["authorization"] == "Bearer pos-token" for r in pos.requests)
        assert len(pos.requests) == 2  # two pages
        pos.rows.append({"sku": "A", "quantity": 2, "updated_at": "2026-11-04T10:00:00Z"})
        pos.requests.clear()
        incremental = run(api, services, location["id"], "incremental")
        assert pos.requests[0]["query"]["updated_after"] == "2026-11-03T10:00:00Z"
        assert incremental["summary"]["seen"] == 1 and incremental["summary"]["updated"] == 1
        assert incremental["summary"]["missing"] == []
        assert by_sku(api)["A"]["quantity"] == 2
    finally:
        pos.stop()


def test_pos_failure_mid_way_keeps_applied_pages_and_marks_the_run_failed(loopback_allowed, api, location, services):
    pos = PosServer([dict(r) for r in ROWS])
    pos.fail_on_page = 1
    try:
        connect(api, location["id"], kind="http", settings={"base_url": pos.url}, secret="pos-token")
        result = run(api, services, location["id"])
        assert result["status"] == "failed" and "500" in result["error"]
        assert set(by_sku(api)) == {"A", "B"}
        pos.fail_on_page = None
        assert run(api, services, location["id"])["status"] == "succeeded"
        assert set(by_sku(api)) == {"A", "B", "C"}
    finally:
        pos.stop()


def test_scheduled_sync_queues_every_connected_location(api, location, services):
    other = api.location("Boulder")
    connect(api, location["id"], kind="file", settings={"path": export(api, "pos.csv", CSV)})
    queued = sync.schedule_syncs(bootstrap.services(), SyncType.INCREMENTAL)
    assert len(queued) == 1
    waiting = bootstrap.services().store.queued_sync_runs(10)
    assert [run.location_id for run in waiting] == [location["id"]]  # not the unconnected one
    assert other["id"] not in {run.location_id for run in waiting}
    assert sync.schedule_syncs(bootstrap.services(), SyncType.FULL) == []  # still queued: skipped
    done = sync.run_sync(bootstrap.services(), queued[0])
    assert done.status.value == "succeeded" and done.location_id == location["id"]


@pytest.fixture
def s3_server(tmp_path):
    """moto in server mode on a free loopback port: a real S3 API over HTTP."""
    port = free_port()
    process = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1",
                                "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(endpoint, timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


def test_s3_csv_exports_sync_full_then_only_newer_objects(loopback_allowed, api, location, services, s3_server):
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="pos-exports")
    s3.put_object(Bucket="pos-exports", Key="denver/2026-11-24.csv", Body=CSV.encode())
    s3.put_object(Bucket="pos-exports", Key="denver/readme.txt", Body=b"not an export")
    connect(api, location["id"], kind="s3", secret="testing:testing",
            settings={"bucket": "pos-exports", "prefix": "denver/", "endpoint_url": s3_server})
    full = run(api, services, location["id"])
    assert full["status"] == "succeeded", full
    assert full["summary"]["created"] == 3
    time.sleep(1.1)  # S3 LastModified has one-second resolution
    s3.put_object(Bucket="pos-exports", Key="denver/2026-11-25.csv",
                  Body=b"sku,room_type,quantity\nBD-35,sales_floor,39\n")
    incremental = run(api, services, location["id"], "incremental")
    assert incremental["summary"]["seen"] == 1 and incremental["summary"]["updated"] == 1
    assert by_sku(api)["BD-35"]["quantity"] == 39


def test_shipped_sample_export_syncs_cleanly(api, location, services):
    sample = (Path(__file__).resolve().parents[2] / "samples" / "pos-export.csv").read_text()
    connect(api, location["id"], kind="file", settings={"path": export(api, "sample.csv", sample)})
    result = run(api, services, location["id"])
    assert result["status"] == "succeeded" and result["summary"]["errors"] == []
    assert result["summary"]["created"] == 4


def test_an_http_pos_that_pages_forever_is_stopped_at_the_page_limit(loopback_allowed, monkeypatch, api,
                                                                     location, services):
    monkeypatch.setenv("INVENTORY_POS_MAX_PAGES", "4")
    bootstrap.reset()
    pos = PosServer([dict(r) for r in ROWS])
    pos.endless, pos.fail_on_page = True, 100  # (a 500 at page 100, should nothing stop the sync)
    try:
        connect(api, location["id"], kind="http", settings={"base_url": pos.url}, secret="pos-token")
        result = run(api, services, location["id"])
        assert result["status"] == "failed", result
        assert "after 4 pages" in result["error"] and "INVENTORY_POS_MAX_PAGES" in result["error"]
        assert len(pos.requests) == 4
        assert set(by_sku(api)) == {"A", "B", "C"}  # the pages read before the limit are applied
    finally:
        pos.stop()


def test_an_http_pos_that_pages_forever_is_stopped_at_the_time_limit(loopback_allowed, monkeypatch, api,
                                                                     location, services):
    monkeypatch.setenv("INVENTORY_POS_MAX_SECONDS", "0.5")
    bootstrap.reset()
    pos = PosServer([dict(r) for r in ROWS])
    pos.endless, pos.fail_on_page = True, 3000
    try:
        connect(api, location["id"], kind="http", settings={"base_url": pos.url}, secret="pos-token")
        result = run(api, services, location["id"])
        assert result["status"] == "failed", result
        assert "after 0.5 s" in result["error"] and "INVENTORY_POS_MAX_SECONDS" in result["error"]
        assert len(pos.requests) < 3000
    finally:
        pos.stop()


@pytest.fixture
def rebinding_dns(monkeypatch):
    """The system resolver, with the names in `answers` answered by `answers[name]()`."""
    real = socket.getaddrinfo
    answers = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answers[host](), port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def test_every_request_to_a_rest_pos_is_checked_so_a_name_rebound_mid_sync_is_refused(
        loopback_allowed, rebinding_dns, api, location, services):
    pos = PosServer([dict(r) for r in ROWS])
    # pos.test answers loopback until the first page is served, then 0.0.0.0 (which Linux connects
    # to the local host, and which the policy refuses as not loopback and not public).
    rebinding_dns["pos.test"] = lambda: "0.0.0.0" if pos.requests else "127.0.0.1"
    try:
        port = pos.server.server_address[1]
        connect(api, location["id"], kind="http", settings={"base_url": f"http://pos.test:{port}"},
                secret="pos-token")
        result = run(api, services, location["id"])
        assert result["status"] == "failed" and "settings.base_url" in result["error"], result
        assert len(pos.requests) == 1 and set(by_sku(api)) == {"A", "B"}
    finally:
        pos.stop()


def test_every_s3_request_is_checked_so_a_name_rebound_mid_sync_is_refused(
        loopback_allowed, rebinding_dns, api, location, services, s3_server):
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="pos-exports")
    s3.put_object(Bucket="pos-exports", Key="denver/a.csv", Body=CSV.encode())
    s3.put_object(Bucket="pos-exports", Key="denver/b.csv", Body=b"sku,room_type,quantity\nLATE-1,vault,9\n")
    lookups = []

    def answer():  # saving (1), the sync's start (2), the listing (3), the first object (4): loopback
        lookups.append(1)
        return "127.0.0.1" if len(lookups) <= 4 else "0.0.0.0"

    rebinding_dns["localhost"] = answer  # (moto reads another name as a bucket's virtual host)
    connect(api, location["id"], kind="s3", secret="testing:testing",
            settings={"bucket": "pos-exports", "prefix": "denver/",
                      "endpoint_url": f"http://localhost:{urlsplit(s3_server).port}"})
    result = run(api, services, location["id"])
    assert result["status"] == "failed" and "settings.endpoint_url" in result["error"], result
    assert set(by_sku(api)) == {"BD-35", "NEW-1", "MG-10"}  # the first object, not LATE-1


class Redirecting:
    """An 'S3 endpoint' on 127.0.0.1 that answers every request with a redirect to itself."""

    def __init__(self, status: int):
        self.count = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def _redirect(self):
                endpoint.count += 1
                self.send_response(status)
                self.send_header("Location", f"http://127.0.0.1:{endpoint.port}{self.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD = do_PUT = do_POST = _redirect

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status", [301, 302, 307])
def test_an_s3_endpoint_that_redirects_forever_ends_the_sync_with_a_clear_error(
        loopback_allowed, api, location, services, status):
    endpoint = Redirecting(status)
    try:
        connect(api, location["id"], kind="s3", secret="testing:testing",
                settings={"bucket": "pos-exports", "endpoint_url": f"http://127.0.0.1:{endpoint.port}"})
        result = run(api, services, location["id"])
        assert result["status"] == "failed", result
        assert result["error"].startswith("S3RedirectLoop: the S3 endpoint answered more than 5 redirects")
        assert endpoint.count == 6
    finally:
        endpoint.stop()
