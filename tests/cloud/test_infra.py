"""The deployment description: infra/ Terraform, the gateway's routes, the bundles, checkov.

No cloud and no terraform binary: the .tf files are parsed with python-hcl2, and what
Terraform computes from serverless.yaml is computed by scripts/deploy_manifest.py, its twin.
"""
from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import hcl2
import pytest

from inventory.domain.models import Event, InventoryItem, LedgerEntry
from inventory.domain.sync import SyncRun
from inventory import manifest
from inventory.domain.webhooks import Delivery
from inventory.service.ports import StockRow

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import build_bundles  # noqa: E402
import deploy_manifest  # noqa: E402

INFRA = ROOT / "infra"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def unquote(value):
    """python-hcl2 keeps HCL's quotes on strings and keys; drop them."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__comments__"}
    return value


def parse(name: str) -> dict:
    with open(INFRA / name) as handle:
        return unquote(hcl2.load(handle))


def blocks(kind: str) -> dict:
    """Every top-level block of one kind (resource, locals, ...) across infra/*.tf, merged."""
    merged: dict = {}
    for path in sorted(INFRA.glob("*.tf")):
        for block in parse(path.name).get(kind, []):
            for key, body in block.items():
                if kind == "resource":
                    for name, resource in body.items():
                        merged[f"{key}.{name}"] = resource
                else:
                    merged[key] = body
    return merged


@pytest.fixture(scope="module")
def functions():
    return deploy_manifest.load()


# --- Terraform parses and reads the manifest -------------------------------------------------

@pytest.mark.parametrize("path", sorted(p.name for p in INFRA.glob("*.tf")))
def test_every_terraform_file_parses(path):
    assert parse(path)


def test_terraform_reads_the_manifest_and_makes_one_function_per_entry():
    variables = {k: v for block in parse("variables.tf")["variable"] for k, v in block.items()}
    assert variables["manifest_path"]["default"] == "../serverless.yaml"
    assert "yamldecode(file(var.manifest_path))" in str(blocks("locals")["manifest"])

    function = blocks("resource")["google_cloudfunctions2_function.function"]
    assert function["for_each"] == "${local.functions}"
    assert function["build_config"][0]["runtime"] == "python312"
    assert function["build_config"][0]["entry_point"] == "${each.value.handler}"
    # Pub/Sub-triggered functions are pushed by a subscription Terraform owns (pubsub.tf).
    assert "event_trigger" not in function and "event_trigger" not in str(function.get("dynamic", ""))
    push = blocks("resource")["google_pubsub_subscription.push"]
    assert push["for_each"] == "${local.pubsub_functions}"

    bundle = blocks("resource")["google_storage_bucket_object.bundle"]
    assert bundle["source"] == "${var.bundle_dir}/${each.key}.zip"


def test_the_key_ring_is_mounted_as_the_variable_the_code_reads_in_every_function_that_opens_secrets(functions):
    from inventory.adapters.secret_box import KEY_ENV
    variables = {k: v for block in parse("variables.tf")["variable"] for k, v in block.items()}
    mounted = set(variables["secret_functions"]["default"])
    # Every function that reads or writes a webhook secret, a POS secret or a sealed response.
    assert mounted == {"manage_webhooks", "webhook_dispatcher", "deliver_webhook",
                       "retry_webhook_deliveries", "manage_locations", "sync_inventory", "run_sync",
                       "scheduled_sync"}
    assert mounted <= set(functions)
    function = blocks("resource")["google_cloudfunctions2_function.function"]
    mount = function["service_config"][0]["dynamic"][0]["secret_environment_variables"]
    assert "var.secret_functions" in mount["for_each"]
    assert "google_secret_manager_secret.webhook_secret_key" in mount["for_each"]
    assert mount["content"][0]["key"] == KEY_ENV
    assert mount["content"][0]["version"] == "${var.secret_key_version}"


def test_schedule_rates_are_read_by_the_same_patterns_in_terraform_and_python():
    manifest_tf = (INFRA / "manifest.tf").read_text()
    for pattern in (deploy_manifest.EVERY_MINUTES, deploy_manifest.EVERY_HOURS):
        assert pattern.replace("\\", "\\\\") in manifest_tf
    assert deploy_manifest.to_cron("every 5 minutes") == "*/5 * * * *"
    assert deploy_manifest.to_cron("rate(1 minute)") == "*/1 * * * *"
    assert deploy_manifest.to_cron("every 2 hours") == "0 */2 * * *"
    assert deploy_manifest.to_cron("cron(0 3 * * *)") == "0 3 * * *"
    assert deploy_manifest.to_cron("15 */6 * * *") == "15 */6 * * *"


def test_each_timer_has_the_period_the_local_scheduler_runs_it_at():
    periods = {(t.rate, t.period_s) for f in manifest.load().functions for t in f.timers}
    assert periods == {("every 1 minutes", 60), ("*/15 * * * *", 900), ("0 3 * * *", 86400)}
    assert deploy_manifest.Timer("every 2 hours", "t").period_s == 7200
    with pytest.raises(ValueError):
        deploy_manifest.Timer("0 3 * * 1", "t").period_s


# --- One set of functions everywhere ---------------------------------------------------------

def test_manifest_functions_are_the_function_directories(functions):
    directories = {p.name for p in (ROOT / "functions").iterdir() if (p / "main.py").exists()}
    assert set(functions) == directories


def test_http_functions_are_the_functions_behind_the_gateway(functions):
    document = deploy_manifest.openapi(functions)
    behind_gateway = {operation["summary"] for item in document["paths"].values()
                      for method, operation in item.items() if method not in ("options", "parameters")}
    assert behind_gateway == {name for name, f in functions.items() if f.routes}


def test_every_manifest_route_is_a_gateway_operation_sent_to_its_function(functions):
    uri_of = lambda name: f"https://{name}.run.app"  # noqa: E731
    paths = deploy_manifest.openapi(functions, uri_of)["paths"]
    for function in functions.values():
        for route in function.routes:
            operation = paths[route.path][route.method.lower()]
            backend = operation["x-google-backend"]
            assert backend["address"] == uri_of(function.name)
            assert backend["path_translation"] == "APPEND_PATH_TO_ADDRESS"
            # The function checks the Bearer key itself: the gateway authenticates as itself.
            assert backend["jwt_audience"] == uri_of(function.name)
            assert paths[route.path]["options"]  # CORS preflight reaches a function too
            declared = {p["name"] for p in paths[route.path]["parameters"]}
            assert declared == set(re.findall(r"\{([^}]+)\}", route.path))


def test_every_method_of_a_path_and_every_path_under_a_dialects_prefix_reach_a_function(functions):
    # API Gateway answers a method or path its document lacks itself, in its own shape: each
    # reaches a function instead, which refuses it (405 with Allow, 404) in its dialect's shape.
    paths = deploy_manifest.openapi(functions, uri_of=lambda name: name)["paths"]
    for path, item in paths.items():
        assert set(deploy_manifest.GATEWAY_METHODS) | {"options"} <= set(item), path
    for function in functions.values():
        for route in function.routes:
            assert paths[route.path][route.method.lower()]["x-google-backend"]["address"] == function.name
            if route.method == "GET":
                assert paths[route.path]["head"]["x-google-backend"]["address"] == function.name
        if function.prefix:
            under = paths[function.prefix + "/{rest=**}"]
            assert {op["x-google-backend"]["address"] for method, op in under.items()
                    if method != "parameters"} == {function.name}
            assert all(route.path.startswith(function.prefix) for route in function.routes)
    assert {f.name for f in functions.values() if f.prefix} == {
        "square_inventory", "cannlytics_inventory", "product_inventory"}


def test_public_functions_mode_passes_authorization_through(functions):
    paths = deploy_manifest.openapi(functions, private=False)["paths"]
    backends = [op["x-google-backend"] for item in paths.values()
                for method, op in item.items() if method != "parameters"]
    assert all(b["disable_auth"] is True and "jwt_audience" not in b for b in backends)


def test_gateway_operation_ids_are_unique(functions):
    ids = [op["operationId"] for item in deploy_manifest.openapi(functions)["paths"].values()
           for method, op in item.items() if method != "parameters"]
    assert len(ids) == len(set(ids))


def test_terraform_builds_the_gateway_document_the_same_way():
    gateway = blocks("locals")
    backend, paths = str(gateway["gateway_backend"]), str(gateway["gateway_paths"])
    for needle in ("APPEND_PATH_TO_ADDRESS", "jwt_audience", "disable_auth", "service_config[0].uri"):
        assert needle in backend
    for needle in ("x-google-backend", "operationId", "options", "parameters", "local.http_routes",
                   "local.gateway_methods"):
        assert needle in paths
    assert gateway["gateway_methods"] == list(deploy_manifest.GATEWAY_METHODS)
    prefixed = str(gateway["gateway_prefix_paths"])
    assert "{rest=**}" in prefixed and "f.prefix" in prefixed
    assert "local.gateway_prefix_paths" in str(gateway["openapi"])
    config = blocks("resource")["google_api_gateway_api_config.inventory"]
    assert config["provider"] == "google-beta"
    assert "local.openapi" in config["openapi_documents"][0]["document"][0]["contents"]


def test_pubsub_and_scheduled_functions_use_cloud_event_handlers(functions):
    for function in functions.values():
        source = (ROOT / "functions" / function.name / "main.py").read_text()
        decorator = "http" if function.routes else "cloud_event"
        assert re.search(rf"@functions_framework\.{decorator}\s+def {function.handler}\(", source), \
            f"{function.name}: expected @functions_framework.{decorator} def {function.handler}"
        assert function.routes or function.topic, f"{function.name} has no trigger"


# --- Event shapes the manifest will grow into ------------------------------------------------

FUTURE_MANIFEST = textwrap.dedent("""
    service: inventory-api
    provider: {name: google, runtime: python312, memorySize: 256, timeout: 30s}
    functions:
      list_inventory:
        handler: list_inventory
        events: [{http: {method: GET, path: /api/v1/inventory}}]
      webhook_dispatcher:
        handler: webhook_dispatcher
        memorySize: 512
        timeout: 120s
        events:
          - event: {eventType: google.cloud.pubsub.topic.v1.messagePublished, resource: inventory-events}
      run_sync:
        handler: run_sync
        events:
          - event:
              eventType: google.cloud.pubsub.topic.v1.messagePublished
              resource: projects/demo/topics/inventory-sync-requests
      retry_deliveries:
        handler: retry_deliveries
        events: [{schedule: {rate: "every 5 minutes", topic: inventory-timers-retries}}]
      scheduled_sync:
        handler: scheduled_sync
        events:
          - schedule: {rate: "*/15 * * * *", topic: inventory-timers-sync, data: incremental}
          - schedule: {rate: "cron(0 3 * * *)", topic: inventory-timers-sync, data: full}
      nightly_report:
        handler: nightly_report
        events: [{schedule: {rate: "every 24 hours"}}]
""")


def test_event_and_schedule_shapes_become_topics_and_timers(tmp_path):
    (tmp_path / "serverless.yaml").write_text(FUTURE_MANIFEST)
    functions = deploy_manifest.load(tmp_path / "serverless.yaml")
    assert functions["webhook_dispatcher"].topic == "inventory-events"
    assert (functions["webhook_dispatcher"].memory_mb, functions["webhook_dispatcher"].timeout_s) == (512, 120)
    assert functions["run_sync"].topic == "inventory-sync-requests"
    assert functions["list_inventory"].topic is None and functions["list_inventory"].read_only
    timers = {key: (t.topic, t.cron, t.data) for key, t in deploy_manifest.timers(functions).items()}
    assert timers == {
        "retry_deliveries-0": ("inventory-timers-retries", "*/5 * * * *", ""),
        "scheduled_sync-0": ("inventory-timers-sync", "*/15 * * * *", "incremental"),
        "scheduled_sync-1": ("inventory-timers-sync", "0 3 * * *", "full"),
        "nightly_report-0": ("inventory-timers-nightly_report", "0 */24 * * *", ""),
    }
    assert deploy_manifest.topics(functions) == {
        "inventory-events", "inventory-sync-requests", "inventory-timers-retries",
        "inventory-timers-sync", "inventory-timers-nightly_report"}


def test_each_timer_function_has_one_topic_for_all_its_schedules(functions):
    for function in functions.values():
        assert len({timer.topic for timer in function.timers}) <= 1, function.name
        assert not (function.timers and function.event_topic), function.name


def test_python_twin_uses_terraform_defaults():
    variables = {k: v for block in parse("variables.tf")["variable"] for k, v in block.items()}
    assert set(variables["base_topics"]["default"]) == set(deploy_manifest.topics({}))
    assert '"inventory-timers-${name}"' in (INFRA / "manifest.tf").read_text()

def test_every_topic_has_a_dead_letter_topic_and_a_kept_subscription():
    resources = blocks("resource")
    # What a Pub/Sub-triggered function is pushed from has the same policy, declared here.
    for name in ("google_pubsub_subscription.push", "google_pubsub_subscription.pending"):
        subscription = resources[name]
        assert subscription["dead_letter_policy"][0]["max_delivery_attempts"] == "${var.max_delivery_attempts}"
        retry = subscription["retry_policy"][0]
        assert (retry["minimum_backoff"], retry["maximum_backoff"]) == ("10s", "600s")
    push = resources["google_pubsub_subscription.push"]
    assert push["push_config"][0]["oidc_token"][0]["service_account_email"] == \
        "${google_service_account.trigger.email}"
    # The path names the topic, as cloud-local's push endpoints do (functions-framework reads it).
    assert push["push_config"][0]["push_endpoint"].endswith("/projects/${var.project_id}/topics/${each.value.topic}")
    assert "dead-letter" in str(resources["google_monitoring_alert_policy.dead_letters"]["conditions"])
    assert "eventarc_dead_letter_commands" not in (INFRA / "outputs.tf").read_text()
    for name in ("google_pubsub_topic.dead_letter", "google_pubsub_subscription.dead_letter"):
        assert resources[name]["for_each"] == "${local.topics}"
    pending = resources["google_pubsub_subscription.pending"]
    assert pending["dead_letter_policy"][0]["max_delivery_attempts"] == "${var.max_delivery_attempts}"
    assert pending["retry_policy"][0]["minimum_backoff"] and pending["retry_policy"][0]["maximum_backoff"]
    timer = resources["google_cloud_scheduler_job.timer"]
    assert timer["for_each"] == "${local.timers}"
    assert "google_pubsub_topic.topic[each.value.topic]" in timer["pubsub_target"][0]["topic_name"]


# --- Firestore indexes -----------------------------------------------------------------------

# What each collection's documents hold: the model's fields, plus what only the store keeps.
COLLECTION_FIELDS = {
    "items": set(InventoryItem.model_fields) | set(InventoryItem.model_computed_fields),
    "ledger": set(LedgerEntry.model_fields),
    "events": set(Event.model_fields) | {"sequence", "published_at", "relay_shard", "fan_out_shard", "fanned_out_at"},
    "deliveries": set(Delivery.model_fields),
    "sync_runs": set(SyncRun.model_fields),
    "stock_rows": {field.name for field in dataclasses.fields(StockRow)},
}


def firestore_indexes() -> dict:
    return blocks("locals")["firestore_indexes"]


def test_every_firestore_index_refers_to_fields_that_exist():
    for name, index in firestore_indexes().items():
        fields = [field for field, _ in index["fields"]]
        assert index["collection"] in COLLECTION_FIELDS, f"{name}: unknown collection"
        assert set(fields) <= COLLECTION_FIELDS[index["collection"]], f"{name}: {fields}"
        # Single-field indexes are automatic; Firestore refuses a composite one of one field.
        assert len(fields) >= 2 and len(set(fields)) == len(fields), name
        assert {order for _, order in index["fields"]} <= {"ASCENDING", "DESCENDING"}, name
        assert index["scope"] in ("COLLECTION", "COLLECTION_GROUP"), name


def test_firestore_indexes_cover_the_store_queries():
    indexes = {name: (i["collection"], i["scope"], [tuple(f) for f in i["fields"]])
               for name, i in firestore_indexes().items()}
    by_fields = {(c, s, tuple(f for f, _ in fields)) for c, s, fields in indexes.values()}
    # GET /inventory orders by id (a cursor starts after an id in that order); Firestore orders
    # by an inequality's field after the explicit order, so updated_after reads (id, updated_at).
    for field in ("location_id", "room_type", "category", "low_stock", "sku", "product_id",
                  "archived_at"):
        assert ("items", "COLLECTION", ("organization_id", field, "id")) in by_fields, field
        assert ("items", "COLLECTION", ("organization_id", field, "id", "updated_at")) in by_fields, field
    # The snapshot's per-item "last entry at or before T" (adapters/firestore/store.py).
    assert indexes["ledger_of_item_until"] == ("ledger", "COLLECTION",
                                               [("occurred_at", "DESCENDING"), ("item_version", "DESCENDING")])
    assert ("events", "COLLECTION", ("organization_id", "sequence")) in by_fields
    resource = blocks("resource")["google_firestore_index.index"]
    assert resource["for_each"] == "${local.firestore_indexes}"


def test_replay_records_expire_by_a_ttl_policy_on_the_timestamp_the_store_writes():
    """Firestore deletes a replay record once its `expires_at` has passed; the emulator does not,
    so tests/api/test_idempotency_expiry.py holds the read rule that makes an expired key new."""
    from datetime import datetime, timezone
    from inventory.adapters.firestore.transaction import idempotency_document
    policy = blocks("resource")["google_firestore_field.idempotency_expiry"]
    assert policy["database"] == "${google_firestore_database.main.name}"
    assert policy["collection"] == "idempotency"
    # An empty ttl_config block puts the TTL policy on the field; an empty index_config turns off
    # its single-field indexes (no query reads it).
    assert [{k: v for k, v in c.items() if k != "__is_block__"} for c in policy["ttl_config"]] == [{}]
    assert [{k: v for k, v in c.items() if k != "__is_block__"} for c in policy["index_config"]] == [{}]
    # The policy deletes by a timestamp only: the field must hold the expiry as one.
    expiry = datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
    assert idempotency_document({"key": "k"}, expiry)[policy["field"]] is expiry
    # One field per collection group may be a TTL field.
    ttl_fields = [r for name, r in blocks("resource").items()
                  if name.startswith("google_firestore_field.") and "ttl_config" in r]
    assert [(r["collection"], r["field"]) for r in ttl_fields] == [("idempotency", "expires_at")]


# --- Bundles ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundles(tmp_path_factory, functions):
    out = tmp_path_factory.mktemp("bundles")
    read_only = [name for name, f in functions.items() if f.read_only]
    writer = next(name for name, f in functions.items() if f.routes and not f.read_only)
    args = ["--out", str(out)]
    for name in [*read_only, writer]:
        args += ["--only", name]
    assert build_bundles.main(args) == 0
    return out, read_only, writer


def requirement_names(path: Path) -> set[str]:
    return {build_bundles.normalise(re.split(r"[=<>!~]", line)[0])
            for line in path.read_text().splitlines() if line.strip()}


def test_read_only_bundles_ship_without_the_pubsub_client(bundles):
    out, read_only, writer = bundles
    assert read_only, "the manifest has no read-only function"
    for name in read_only:
        shipped = requirement_names(out / name / "requirements.txt")
        assert "google-cloud-pubsub" not in shipped and "pyyaml" not in shipped, name
        assert {"functions-framework", "google-cloud-firestore", "pydantic"} <= shipped, name
    assert "google-cloud-pubsub" in requirement_names(out / writer / "requirements.txt")


def test_bundle_zip_holds_main_the_package_and_requirements(bundles):
    out, read_only, _ = bundles
    with zipfile.ZipFile(out / f"{read_only[0]}.zip") as archive:
        names = set(archive.namelist())
    assert {"main.py", "requirements.txt", "inventory/__init__.py", "inventory/bootstrap.py"} <= names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def test_bundles_are_byte_for_byte_reproducible(bundles):
    out, read_only, _ = bundles
    first = (out / f"{read_only[0]}.zip").read_bytes()
    build_bundles.main(["--out", str(out), "--only", read_only[0]])
    assert (out / f"{read_only[0]}.zip").read_bytes() == first


SERVE_WITHOUT_PUBSUB = textwrap.dedent("""
    import importlib.abc, os, re, sys
    bundle, target, path = sys.argv[1:4]
    sys.path.insert(0, bundle)
    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.startswith("google.cloud.pubsub"):
                raise ImportError(name + " is not shipped")
    sys.meta_path.insert(0, Refuse())
    from inventory import bootstrap
    from inventory.service.admin import create_api_key, create_organization
    services = bootstrap.services()
    organization = create_organization(services, "read-only check")
    _, key = create_api_key(services, organization.id, "key")
    from functions_framework import create_app
    client = create_app(target=target, source=os.path.join(bundle, "main.py")).test_client()
    response = client.get(re.sub(r"\\{[^}]+\\}", "missing", path),
                          headers={"Authorization": "Bearer " + key})
    assert response.status_code < 500, response.get_data(as_text=True)
    assert not [m for m in sys.modules if m.startswith("google.cloud.pubsub")]
    print(response.status_code)
""")


def test_read_only_functions_answer_without_importing_pubsub(bundles, functions, tmp_path):
    out, read_only, _ = bundles
    for name in read_only:
        env = {"INVENTORY_STORE": "sqlite", "INVENTORY_DATA_DIR": str(tmp_path / name),
               "INVENTORY_EVENTS": "pubsub", "PATH": "/usr/bin:/bin"}
        result = subprocess.run(
            [sys.executable, "-I", "-B", "-c", SERVE_WITHOUT_PUBSUB, str(out / name),
             functions[name].handler, functions[name].routes[0].path],
            env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{name}:\n{result.stderr[-2000:]}"


# --- checkov ---------------------------------------------------------------------------------

@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov's venv .venv-checkov is missing: "
                    "scripts/check_infra.sh creates it (about a minute, needs PyPI)")
def test_checkov_finds_nothing_unjustified():
    result = subprocess.run(["bash", str(ROOT / "scripts" / "check_infra.sh")], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Failed checks: 0" in result.stdout


def test_api_docs_bundle_ships_its_openapi_document(bundles):
    out, read_only, _ = bundles
    assert "api_docs" in read_only
    document = json.loads((out / "api_docs" / "openapi.json").read_text())
    assert document["openapi"].startswith("3.1") and "/api/v1/inventory" in document["paths"]


# --- Lean bundles, installed as Google's buildpack installs them -----------------------------

def test_each_bundle_ships_only_what_its_code_imports(functions):
    pins = build_bundles.pinned_requirements()
    shipped = {name: {build_bundles.normalise(re.split(r"[=<>!~\[; ]", line)[0])
                      for line in build_bundles.requirements_for(f, pins)} for name, f in functions.items()}
    # botocore (32 MB) only where S3 is used: setting an S3 connection checks it, run_sync reads it.
    assert {name for name, deps in shipped.items() if "boto3" in deps} == {"manage_locations", "run_sync"}
    assert {name for name, deps in shipped.items() if "flask-swagger-ui" in deps} == {"api_docs"}
    assert not any("pyyaml" in deps for deps in shipped.values())
    for name, function in functions.items():
        assert ("google-cloud-pubsub" in shipped[name]) == (not function.read_only), name
    # The S3 connector and the docs page are reached only from those functions' code paths.
    source = {p.name: p.read_text() for p in (ROOT / "shared" / "inventory").rglob("*.py")}
    assert "import boto3" in source["s3.py"] and not any("boto3" in text for name, text in source.items()
                                                         if name != "s3.py")
    with pytest.raises(SystemExit, match="not pinned"):
        build_bundles.requirements_for(deploy_manifest.DeployedFunction(
            "x", "x", 256, 60, (), "t", (), requirements=("left-pad",)), pins)


BUILDPACK_LIKE = "functions-framework"


@pytest.mark.slow
def test_a_bundle_installed_as_the_buildpack_does_serves_a_request(bundles, functions, tmp_path):
    """A fresh virtualenv from the bundle's own requirements.txt, then functions-framework with
    FUNCTION_TARGET in the bundle's folder: what Google's Python buildpack runs."""
    import os
    import venv
    import requests
    from inventory.local.loopback import free_port
    out, read_only, _ = bundles
    name = "list_inventory"
    bundle = out / name
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    pip = subprocess.run([str(environment / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                          "-r", str(bundle / "requirements.txt")], capture_output=True, text=True, timeout=900)
    assert pip.returncode == 0, pip.stderr[-3000:]
    freeze = subprocess.run([str(environment / "bin" / "pip"), "freeze"], capture_output=True, text=True).stdout
    installed = {build_bundles.normalise(line.split("==")[0]) for line in freeze.splitlines()}
    assert not installed & {"boto3", "botocore", "google-cloud-pubsub", "pyyaml", "flask-swagger-ui"}

    data = tmp_path / "data"
    env = {"PATH": "/usr/bin:/bin", "INVENTORY_STORE": "sqlite", "INVENTORY_DATA_DIR": str(data)}
    key = subprocess.run([str(environment / "bin" / "python"), "-m", "inventory.cli", "demo"], cwd=bundle,
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen([str(environment / "bin" / BUILDPACK_LIKE), "--source", "main.py",
                               "--host", "127.0.0.1", "--port", str(port)], cwd=bundle,
                              env={**env, "FUNCTION_TARGET": functions[name].handler},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        import time
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/api/v1/inventory",
                                        headers={"Authorization": f"Bearer {key}"}, timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, "the bundle did not start"
                time.sleep(0.1)
        assert response.status_code == 200, response.text
        assert response.json()["data"], "the demo organization's items"
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert os.path.exists(bundle / "main.py")
