# One Cloud Functions (gen2) function per manifest entry, each built from its own zip
# (scripts/build_bundles.py: main.py, the inventory package, that function's requirements).

data "google_project" "this" {}

resource "google_storage_bucket" "bundles" {
  name                        = "${var.project_id}-inventory-function-bundles"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  # Functions keep running after their build; old bundles matter only for a rollback.
  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  #checkov:skip=CKV_GCP_62:Access logs of a bucket that only the deploy pipeline writes add nothing over Cloud Audit Logs (data access logs on storage.googleapis.com).
}

resource "google_storage_bucket_object" "bundle" {
  for_each = local.functions

  # The content hash in the name makes a changed bundle a new object, and so a new build.
  name   = "${each.key}-${filemd5("${var.bundle_dir}/${each.key}.zip")}.zip"
  bucket = google_storage_bucket.bundles.name
  source = "${var.bundle_dir}/${each.key}.zip"
}

locals {
  function_environment = {
    for name, f in local.functions : name => merge(f.environment, {
      GOOGLE_CLOUD_PROJECT       = var.project_id
      INVENTORY_STORE            = "firestore"
      INVENTORY_EVENTS           = "pubsub"
      INVENTORY_EVENTS_TOPIC     = "inventory-events"
      INVENTORY_SYNC_TOPIC       = "inventory-sync-requests"
      INVENTORY_DELIVERIES_TOPIC = "inventory-webhook-deliveries"
      LOG_EXECUTION_ID           = "true"
    })
  }
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions

  name        = replace(each.key, "_", "-")
  location    = var.region
  description = "inventory-api ${each.key} (${length(each.value.routes) > 0 ? "http" : "pubsub"})"

  build_config {
    runtime         = "python312"
    entry_point     = each.value.handler
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.bundles.name
        object = google_storage_bucket_object.bundle[each.key].name
      }
    }
  }

  service_config {
    available_memory      = "${each.value.memory_mb}M"
    timeout_seconds       = each.value.timeout_s
    max_instance_count    = var.max_instances
    min_instance_count    = 0
    service_account_email = google_service_account.function[each.key].email
    # The gateway is outside any VPC, so HTTP functions take traffic from anywhere (IAM or the
    # API key decides); Pub/Sub-triggered ones only from Pub/Sub's push (internal traffic).
    ingress_settings               = contains(keys(local.http_functions), each.key) ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    environment_variables          = local.function_environment[each.key]

    dynamic "secret_environment_variables" {
      for_each = contains(var.secret_functions, each.key) ? [google_secret_manager_secret.webhook_secret_key.secret_id] : []
      content {
        key        = "INVENTORY_WEBHOOK_SECRET_KEY"
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = var.secret_key_version
      }
    }
  }

  # No event_trigger: Eventarc would create and own the push subscription, out of Terraform's
  # reach (no dead-letter topic, no backoff, lost when the trigger is recreated). pubsub.tf
  # declares the push subscription of each Pub/Sub-triggered function instead.

  depends_on = [
    google_project_service.api,
    google_project_iam_member.firestore,
    google_project_iam_member.build,
    google_secret_manager_secret_iam_member.accessor,
  ]
}
