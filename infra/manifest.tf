# serverless.yaml, normalised once: everything below reads local.functions, never the YAML.
# Event shapes follow the Serverless Framework's:
#   - http:     {method: GET, path: /api/v1/inventory/{item_id}}
#   - event:    {eventType: google.cloud.pubsub.topic.v1.messagePublished, resource: <topic>}
#   - schedule: {rate: "every 5 minutes" | "rate(5 minutes)" | "*/5 * * * *", topic: <topic>}
# scripts/gateway_openapi.py mirrors this normalisation for the tests.

locals {
  manifest          = yamldecode(file(var.manifest_path))
  manifest_provider = try(local.manifest.provider, {})

  functions = {
    for name, spec in local.manifest.functions : name => {
      handler     = try(spec.handler, name)
      memory_mb   = tonumber(try(spec.memorySize, local.manifest_provider.memorySize, 256))
      timeout_s   = tonumber(trimsuffix(tostring(try(spec.timeout, local.manifest_provider.timeout, "60s")), "s"))
      environment = merge(try(local.manifest_provider.environment, {}), try(spec.environment, {}))

      routes = [
        for event in try(spec.events, []) : {
          method = upper(event.http.method)
          path   = event.http.path
        } if can(event.http.path)
      ]

      # A topic given as a full name (projects/p/topics/t) is reduced to its short name.
      event_topic = try([
        for event in try(spec.events, []) :
        reverse(split("/", event.event.resource))[0] if can(event.event.resource)
      ][0], null)

      schedule = try([
        for event in try(spec.events, []) : event.schedule.rate if can(event.schedule.rate)
      ][0], null)

      # One topic per timer: an Eventarc Pub/Sub trigger cannot filter on attributes, so a
      # shared timer topic would wake every timer function on every tick.
      schedule_topic = try([
        for event in try(spec.events, []) :
        try(event.schedule.topic, "inventory-timers-${name}") if can(event.schedule.rate)
      ][0], null)
    }
  }

  http_functions = { for name, f in local.functions : name => f if length(f.routes) > 0 }

  # Functions started by a Pub/Sub message: an `event` on a topic, or a `schedule` whose
  # Cloud Scheduler job publishes to a topic.
  pubsub_functions = {
    for name, f in local.functions : name => merge(f, {
      topic = coalesce(f.event_topic, f.schedule_topic)
    }) if length(f.routes) == 0 && (f.event_topic != null || f.schedule_topic != null)
  }

  scheduled_functions = { for name, f in local.pubsub_functions : name => f if f.schedule != null }

  # Cloud Scheduler takes unix-cron; Serverless rates are converted, cron passes through.
  schedules = {
    for name, f in local.scheduled_functions : name => (
      can(regex("^(every|rate\\()\\s*(\\d+)\\s*minutes?\\)?$", f.schedule))
      ? "*/${regex("(\\d+)", f.schedule)[0]} * * * *"
      : can(regex("^(every|rate\\()\\s*(\\d+)\\s*hours?\\)?$", f.schedule))
      ? "0 */${regex("(\\d+)", f.schedule)[0]} * * *"
      : trimsuffix(trimprefix(f.schedule, "cron("), ")")
    )
  }

  topics = toset(concat(var.base_topics, [for f in local.pubsub_functions : f.topic]))

  # Topics no function consumes yet keep their messages in a pull subscription until one does.
  unconsumed_topics = setsubtract(local.topics, [for f in local.pubsub_functions : f.topic])
}
