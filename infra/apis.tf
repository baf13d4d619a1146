# Every API the deployment uses, enabled by Terraform so that a new project can be stood up from
# nothing. Turning an API off on destroy would break whatever else the project runs, so destroy
# leaves them on.

locals {
  apis = toset([
    "cloudfunctions.googleapis.com",     # google_cloudfunctions2_function
    "run.googleapis.com",                # gen2 functions are Cloud Run services (run.invoker)
    "cloudbuild.googleapis.com",         # builds each function's bundle
    "artifactregistry.googleapis.com",   # holds the built images
    "eventarc.googleapis.com",           # gen2 functions' control plane requires it
    "pubsub.googleapis.com",             # topics, push and dead-letter subscriptions
    "cloudscheduler.googleapis.com",     # timers
    "firestore.googleapis.com",          # database, indexes and field overrides
    "secretmanager.googleapis.com",      # the key ring
    "apigateway.googleapis.com",         # the public API
    "servicemanagement.googleapis.com",  # API Gateway's managed service
    "servicecontrol.googleapis.com",     # API Gateway's checks and reports
    "iam.googleapis.com",                # service accounts (and custom build accounts)
    "storage.googleapis.com",            # the bundle bucket
    "monitoring.googleapis.com",         # the dead-letter alert
    "logging.googleapis.com",            # build logs, function logs
  ])
}

resource "google_project_service" "api" {
  for_each = local.apis

  project                    = var.project_id
  service                    = each.value
  disable_on_destroy         = false
  disable_dependent_services = false
}
