# Least privilege: one identity per kind of caller, each with only the roles its code uses.
#   http    - the HTTP functions: Firestore read/write, publish events and sync requests.
#   worker  - the dispatcher and the timers: Firestore read/write, publish (outbox relay).
#   trigger - Eventarc's identity: receives events and invokes the Pub/Sub-triggered functions.
#   gateway - API Gateway's identity: invokes the HTTP functions (when they are private).

resource "google_service_account" "http" {
  account_id   = "inventory-http"
  display_name = "Inventory API HTTP functions"
}

resource "google_service_account" "worker" {
  account_id   = "inventory-worker"
  display_name = "Inventory API webhook dispatcher and timers"
}

resource "google_service_account" "trigger" {
  account_id   = "inventory-trigger"
  display_name = "Inventory API Eventarc triggers"
}

resource "google_service_account" "gateway" {
  account_id   = "inventory-gateway"
  display_name = "Inventory API Gateway backend caller"
}

# Firestore has no per-collection IAM: datastore.user is the narrowest role that reads and writes.
resource "google_project_iam_member" "http" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.http.member
}

resource "google_project_iam_member" "worker" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.worker.member
}

resource "google_project_iam_member" "trigger_event_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.trigger.member
}

# Publishing is granted per topic, not per project.
resource "google_pubsub_topic_iam_member" "http_publisher" {
  for_each = toset(var.http_publish_topics)

  topic  = google_pubsub_topic.topic[each.value].name
  role   = "roles/pubsub.publisher"
  member = google_service_account.http.member
}

resource "google_pubsub_topic_iam_member" "worker_publisher" {
  for_each = toset(var.worker_publish_topics)

  topic  = google_pubsub_topic.topic[each.value].name
  role   = "roles/pubsub.publisher"
  member = google_service_account.worker.member
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

# Pub/Sub's own service agent moves undeliverable messages to the dead-letter topics.
locals {
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
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
