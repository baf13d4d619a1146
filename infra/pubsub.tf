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

# The push subscription of each Pub/Sub-triggered function, declared here rather than left to
# Eventarc (which owns its subscriptions: Terraform could not give them a dead-letter topic or a
# backoff, and a recreated trigger lost what was set by hand). The endpoint's path names the
# topic, as Eventarc's does: functions-framework turns the push into the CloudEvent the
# @cloud_event handler takes (cloud-local pushes the same way, tests/test_cloud_topology.py).
# Delivery is at least once; events carry the item id as ordering key, but a redelivered or
# dead-lettered message can still arrive out of order, so subscribers order by `version`.
resource "google_pubsub_subscription" "push" {
  for_each = local.pubsub_functions

  name                       = "${replace(each.key, "_", "-")}-push"
  topic                      = google_pubsub_topic.topic[each.value.topic].id
  ack_deadline_seconds       = min(600, max(10, each.value.timeout_s))
  message_retention_duration = "604800s"
  enable_message_ordering    = each.value.topic == "inventory-events"

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.function[each.key].service_config[0].uri}/projects/${var.project_id}/topics/${each.value.topic}"
    oidc_token {
      service_account_email = google_service_account.trigger.email
      audience              = google_cloudfunctions2_function.function[each.key].service_config[0].uri
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.value.topic].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }
}

# A dead letter is a message no retry delivered: it pages whoever var.alert_channels names.
# Webhook deliveries are also kept in the delivery log (dead after about a day of retries).
resource "google_monitoring_alert_policy" "dead_letters" {
  display_name = "Inventory API: messages in a dead-letter subscription"
  combiner     = "OR"

  conditions {
    display_name = "undelivered dead letters"
    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.label.subscription_id = monitoring.regex.full_match(\".*-dead-letter\")"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "60s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }

  notification_channels = var.alert_channels
  depends_on            = [google_project_service.api]
}
