# Topics: inventory-events (outbox -> webhook_dispatcher), inventory-webhook-deliveries
# (webhook_dispatcher and retry_webhook_deliveries -> deliver_webhook, one message per delivery),
# inventory-sync-requests (sync_inventory -> run_sync) and one inventory-timers-* topic per scheduled function, each
# with a dead-letter topic whose subscription keeps what could not be delivered.

resource "google_pubsub_topic" "topic" {
  for_each = local.topics

  name         = each.value
  kms_key_name = var.kms_key_name

  # Longer than the subscriptions' retention, so a replay by seek is possible.
  message_retention_duration = "604800s"
}

resource "google_pubsub_topic" "dead_letter" {
  for_each = local.topics

  name                       = "${each.value}-dead-letter"
  kms_key_name               = var.kms_key_name
  message_retention_duration = "604800s"
}

# Dead letters wait here to be inspected and replayed; nothing consumes them automatically.
resource "google_pubsub_subscription" "dead_letter" {
  for_each = local.topics

  name                       = "${each.value}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter[each.value].id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  retain_acked_messages      = false

  expiration_policy {
    ttl = ""
  }
}

# A topic no function consumes yet (inventory-sync-requests until run_sync exists) keeps its
# messages in a pull subscription with the same delivery policy a consumer would get.
resource "google_pubsub_subscription" "pending" {
  for_each = local.unconsumed_topics

  name                       = "${each.value}-pending"
  topic                      = google_pubsub_topic.topic[each.value].id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  enable_message_ordering    = true

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.value].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }
}

# The subscriptions that push into Pub/Sub-triggered functions are created and owned by
# Eventarc (event_trigger in functions.tf): Terraform cannot set their dead-letter policy or
# backoff. outputs.tf prints the gcloud commands that attach the same policy after apply.
