# A Cloud Scheduler job per scheduled function, publishing a tick to that function's topic.

resource "google_cloud_scheduler_job" "timer" {
  for_each = local.scheduled_functions

  name        = "inventory-${replace(each.key, "_", "-")}"
  description = "Tick for ${each.key} (${each.value.schedule})"
  region      = var.region
  schedule    = local.schedules[each.key]
  time_zone   = "Etc/UTC"

  # A missed tick is harmless: the next one does the same work.
  retry_config {
    retry_count = 0
  }

  pubsub_target {
    topic_name = google_pubsub_topic.topic[each.value.topic].id
    data       = base64encode(jsonencode({ function = each.key }))
    attributes = {
      function = each.key
    }
  }
}
