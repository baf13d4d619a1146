"""Identities and APIs in infra/: every API enabled, every build on its build account, every
function on an account of its own with only what its code uses.

python-hcl2 parses the .tf files; where Terraform computes from the manifest (who is read-only,
who publishes where), the rule is computed here from scripts/deploy_manifest.py the same way.
"""
from __future__ import annotations

import re

import pytest

from cloud.test_infra import INFRA, blocks, deploy_manifest, parse

WRITE_ROLES = {"roles/datastore.user", "roles/datastore.owner", "roles/pubsub.publisher",
               "roles/pubsub.editor", "roles/editor", "roles/owner"}

# The API each resource type is served by.
API_OF = {
    "google_cloudfunctions2_function": "cloudfunctions.googleapis.com",
    "google_cloud_run_service_iam_member": "run.googleapis.com",
    "google_pubsub": "pubsub.googleapis.com",
    "google_cloud_scheduler_job": "cloudscheduler.googleapis.com",
    "google_firestore": "firestore.googleapis.com",
    "google_secret_manager": "secretmanager.googleapis.com",
    "google_api_gateway": "apigateway.googleapis.com",
    "google_service_account": "iam.googleapis.com",
    "google_storage": "storage.googleapis.com",
    "google_monitoring": "monitoring.googleapis.com",
}


@pytest.fixture(scope="module")
def functions():
    return deploy_manifest.load()


@pytest.fixture(scope="module")
def variables():
    return {k: v["default"] for block in parse("variables.tf")["variable"] for k, v in block.items() if "default" in v}


def apis() -> set[str]:
    return set(re.findall(r"[a-z]+\.googleapis\.com", str(blocks("locals")["apis"])))


def publishers(functions, variables) -> dict[str, set[str]]:
    """iam.tf's local.publishers: HTTP functions that write publish events; the rest by name."""
    found = {topic: set(names) & set(functions) for topic, names in variables["topic_publishers"].items()}
    found.setdefault("inventory-events", set()).update(
        name for name, f in functions.items() if f.routes and not f.read_only)
    return found


def test_every_api_the_resources_use_is_enabled_and_kept_on_destroy():
    enabled = apis()
    used = {type_ for name in blocks("resource") for type_ in [name.split(".")[0]]}
    for type_ in used - {"google_project_service", "google_project_iam_member"}:
        api = next((api for prefix, api in API_OF.items() if type_.startswith(prefix)), None)
        assert api in enabled, f"{type_}: its API is not in local.apis"
    # What gen2 functions and the gateway need besides their own API (the list).
    assert {"run.googleapis.com", "cloudbuild.googleapis.com", "artifactregistry.googleapis.com",
            "eventarc.googleapis.com", "servicemanagement.googleapis.com",
            "servicecontrol.googleapis.com"} <= enabled
    service = blocks("resource")["google_project_service.api"]
    assert service["for_each"] == "${local.apis}" and service["disable_on_destroy"] is False
    function = blocks("resource")["google_cloudfunctions2_function.function"]
    assert "${google_project_service.api}" in function["depends_on"]


def test_every_function_builds_as_the_build_account_with_its_documented_roles():
    resources = blocks("resource")
    function = resources["google_cloudfunctions2_function.function"]
    assert function["build_config"][0]["service_account"] == "${google_service_account.build.id}"
    build = resources["google_project_iam_member.build"]
    assert set(re.findall(r"roles/[A-Za-z.]+", build["for_each"])) == {"roles/logging.logWriter", "roles/artifactregistry.writer",
                                                  "roles/storage.objectAdmin"}
    assert build["member"] == "${google_service_account.build.member}"


def test_every_function_runs_as_an_account_of_its_own(functions):
    resources = blocks("resource")
    function = resources["google_cloudfunctions2_function.function"]
    assert function["service_config"][0]["service_account_email"] == \
        "${google_service_account.function[each.key].email}"
    assert resources["google_service_account.function"]["for_each"] == "${local.functions}"
    assert 'substr("fn-${replace(name, "_", "-")}", 0, 30)' in (INFRA / "iam.tf").read_text()
    ids = {name: ("fn-" + name.replace("_", "-"))[:30].rstrip("-") for name in functions}
    assert len(set(ids.values())) == len(ids), "two functions would share a runtime account"
    for account_id in ids.values():
        assert re.fullmatch(r"[a-z][-a-z0-9]{4,28}[a-z0-9]", account_id), account_id


def test_read_only_functions_hold_no_write_role(functions, variables):
    iam = (INFRA / "iam.tf").read_text()
    # Terraform's read-only rule is deploy_manifest's: every route a GET or a HEAD.
    assert deploy_manifest.READ_METHODS == {"GET", "HEAD"}
    assert 'alltrue([for route in f.routes : contains(["GET", "HEAD"], route.method)])' in iam
    firestore = blocks("resource")["google_project_iam_member.firestore"]
    assert firestore["role"] == \
        '${contains(local.read_only_functions, each.key) ? "roles/datastore.viewer" : "roles/datastore.user"}'
    read_only = {name for name, f in functions.items() if f.read_only}
    assert {"list_inventory", "get_inventory_item", "list_inventory_changes", "inventory_snapshot",
            "list_events", "api_docs"} <= read_only
    for topic, names in publishers(functions, variables).items():
        assert not names & read_only, f"{topic}: read-only publishers {names & read_only}"
    assert not set(variables["secret_functions"]) & read_only
    # No project-wide role other than Firestore's and the build account's.
    roles = {name: r.get("role") for name, r in blocks("resource").items() if "iam_member" in name}
    assert not {role for role in roles.values() if role in WRITE_ROLES} - {"roles/pubsub.publisher"}


def test_only_publishers_may_publish_and_only_secret_functions_open_the_key_ring(functions, variables):
    resources = blocks("resource")
    publisher = resources["google_pubsub_topic_iam_member.publisher"]
    assert publisher["for_each"] == "${local.publish_grants}"
    assert publisher["member"] == "${google_service_account.function[each.value.function].member}"
    found = publishers(functions, variables)
    for topic, names in variables["topic_publishers"].items():
        assert set(names) <= set(functions), f"{topic}: unknown functions {set(names) - set(functions)}"
    assert found["inventory-webhook-deliveries"] == {"webhook_dispatcher", "retry_webhook_deliveries"}
    assert found["inventory-sync-requests"] == {"sync_inventory", "scheduled_sync"}
    assert "deliver_webhook" not in set().union(*found.values())
    accessor = resources["google_secret_manager_secret_iam_member.accessor"]
    assert accessor["for_each"] == "${toset(var.secret_functions)}"
    assert accessor["member"] == "${google_service_account.function[each.value].member}"
    assert [name for name in resources if name.startswith("google_secret_manager_secret_iam_member")] == \
        ["google_secret_manager_secret_iam_member.accessor"]
