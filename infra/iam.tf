# Least privilege: every function runs as an account of its own, holding only what its code uses.
#   fn-<function> - its runtime identity: Firestore read (datastore.viewer) for a function whose
#                   routes are all GETs, read/write (datastore.user) otherwise; publish rights on
#                   the topics it publishes to (local.publishers); the key ring only if it is in
#                   var.secret_functions.
#   build   - Cloud Build's identity for every function's build (build_config.service_account).
#   trigger - signs Pub/Sub's pushes into the Pub/Sub-triggered functions (run.invoker on each).
#   gateway - API Gateway's identity: invokes the HTTP functions (when they are private).

locals {
  # A function only reads when all its routes are GETs or HEADs (deploy_manifest.py, read_only).
  read_only_functions = toset([
    for name, f in local.http_functions : name if alltrue([for route in f.routes : contains(["GET", "HEAD"], route.method)])
  ])

  # topic => the functions that publish to it. Every HTTP function that writes publishes the
  # events its change recorded, after commit; the others are named in var.topic_publishers.
  publishers = {
    for topic in local.topics : topic => sort(distinct(concat(
      topic == "inventory-events" ? [for name in keys(local.http_functions) : name if !contains(local.read_only_functions, name)] : [],
      [for name in lookup(var.topic_publishers, topic, []) : name if contains(keys(local.functions), name)],
    )))
  }
  publish_grants = merge([
    for topic, names in local.publishers : { for name in names : "${name}/${topic}" => { function = name, topic = topic } }
  ]...)

  # Account ids are 6-30 characters: fn- and the function's name, cut to fit.
  runtime_account_ids = {
    for name in keys(local.functions) : name => trimsuffix(substr("fn-${replace(name, "_", "-")}", 0, 30), "-")
  }
}

resource "google_service_account" "function" {
  for_each = local.functions

  account_id   = local.runtime_account_ids[each.key]
  display_name = "Inventory API ${each.key}"
}

resource "google_service_account" "build" {
  account_id   = "inventory-build"
  display_name = "Inventory API function builds"
}

resource "google_service_account" "trigger" {
  account_id   = "inventory-trigger"
  display_name = "Inventory API Pub/Sub pushes"
}

resource "google_service_account" "gateway" {
  account_id   = "inventory-gateway"
  display_name = "Inventory API Gateway backend caller"
}

# Firestore has no per-collection IAM: datastore.viewer reads, datastore.user reads and writes.
resource "google_project_iam_member" "firestore" {
  for_each = local.functions

  project = var.project_id
  role    = contains(local.read_only_functions, each.key) ? "roles/datastore.viewer" : "roles/datastore.user"
  member  = google_service_account.function[each.key].member
}

# Publishing is granted per topic, to the functions that publish there.
resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.publish_grants

  topic  = google_pubsub_topic.topic[each.value.topic].name
  role   = "roles/pubsub.publisher"
  member = google_service_account.function[each.value.function].member
}

# The build account's roles, as "Configure a build service account" documents them: build logs,
# the built images, and the function's source in Cloud Storage.
resource "google_project_iam_member" "build" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer", "roles/storage.objectAdmin"])

  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}

# A gen2 function is a Cloud Run service: invoking it is run.invoker on that service.
resource "google_cloud_run_service_iam_member" "trigger_invoker" {
  for_each = local.pubsub_functions

  location = var.region
  service  = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = google_service_account.trigger.member
}

resource "google_cloud_run_service_iam_member" "gateway_invoker" {
  for_each = local.http_functions

  location = var.region
  service  = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = var.private_functions ? google_service_account.gateway.member : "allUsers"
}

# Pub/Sub's own service agent signs the pushes' OIDC tokens as the trigger account and moves
# undeliverable messages to the dead-letter topics.
locals {
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_service_account_iam_member" "pubsub_signs_as_trigger" {
  service_account_id = google_service_account.trigger.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.topics

  topic  = google_pubsub_topic.dead_letter[each.value].name
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = local.unconsumed_topics

  subscription = google_pubsub_subscription.pending[each.value].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "push_dead_letter_subscriber" {
  for_each = local.pubsub_functions

  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
