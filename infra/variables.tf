variable "project_id" {
  description = "Google Cloud project that holds every resource."
  type        = string
}

variable "region" {
  description = "Region of the functions, the bucket, the scheduler jobs and the gateway."
  type        = string
  default     = "us-central1"
}

variable "manifest_path" {
  description = "The one manifest of functions (Serverless Framework shape), read with yamldecode."
  type        = string
  default     = "../serverless.yaml"
}

variable "bundle_dir" {
  description = "Where scripts/build_bundles.py writes <function>.zip."
  type        = string
  default     = "../build/bundles"
}

variable "firestore_location" {
  description = "Firestore location (a multi-region such as nam5, or a region)."
  type        = string
  default     = "nam5"
}

variable "base_topics" {
  description = <<-EOT
    Topics the code publishes to whether or not a function consumes them yet. Topics that
    trigger functions (event resources and schedule topics) are added from the manifest.
  EOT
  type        = list(string)
  default     = ["inventory-events", "inventory-sync-requests"]
}

variable "topic_publishers" {
  description = <<-EOT
    topic => the functions that publish to it, besides the HTTP functions that write (they all
    publish their events to inventory-events and are added by iam.tf). Nothing else may publish.
  EOT
  type        = map(list(string))
  default = {
    "inventory-events"             = ["outbox_relay", "run_sync", "scheduled_sync"]
    "inventory-sync-requests"      = ["sync_inventory", "scheduled_sync"]
    "inventory-webhook-deliveries" = ["webhook_dispatcher", "retry_webhook_deliveries"]
  }
}

variable "max_delivery_attempts" {
  description = "Pub/Sub deliveries of one message before it moves to the dead-letter topic."
  type        = number
  default     = 10
}

variable "alert_channels" {
  description = "Monitoring notification channels (projects/.../notificationChannels/...) told when a dead-letter subscription holds messages."
  type        = list(string)
  default     = []
}

variable "private_functions" {
  description = <<-EOT
    true: HTTP functions accept only the gateway's service account; the gateway signs each
    backend call with a Google ID token (jwt_audience) and moves the client's
    `Authorization: Bearer <api key>` to `X-Forwarded-Authorization`, which the HTTP layer
    must read first. false: the gateway passes `Authorization` through untouched
    (disable_auth) and the functions are invocable by anyone (the API key still guards them).
  EOT
  type        = bool
  default     = true
}

variable "secret_functions" {
  description = "Functions that read or write a sealed secret (webhook signing secrets, POS credentials, a stored response holding a secret) and so mount the key ring."
  type        = list(string)
  default = ["manage_webhooks", "webhook_dispatcher", "deliver_webhook", "retry_webhook_deliveries", "manage_locations",
  "sync_inventory", "run_sync", "scheduled_sync"]
}

variable "secret_key_version" {
  description = "The Secret Manager version of the key ring the functions mount. Setting it to the version just added (a number) makes every secret function start a new revision that reads it: each step of a key rotation is one apply (README, Secrets at rest)."
  type        = string
  default     = "latest"
}

variable "max_instances" {
  description = "Upper bound on instances per function (cost and Firestore contention guard)."
  type        = number
  default     = 20
}

variable "kms_key_name" {
  description = "Optional Cloud KMS key (projects/.../cryptoKeys/...) for the bundle bucket, topics and secret; null keeps Google-managed keys."
  type        = string
  default     = null
}
