# A Cloud Scheduler job per schedule in the manifest, publishing a tick to its function's topic.

resource "google_cloud_scheduler_job" "timer" {
  for_each = local.timers

  name        = "inventory-${replace(each.key, "_", "-")}"
  description = "Tick for ${each.value.function} (${each.value.rate})"
  region      = var.region
  schedule    = each.value.cron
  time_zone   = "Etc/UTC"

  # A missed tick is harmless: the next one does the same work.
  retry_config {
    retry_count = 0
  }

  pubsub_target {
    topic_name = google_pubsub_topic.topic[each.value.topic].id
    data       = each.value.data == "" ? null : base64encode(each.value.data)
    attributes = {
      function = each.value.function
    }
  }
}
