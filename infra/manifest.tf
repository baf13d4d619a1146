# serverless.yaml, normalised once: everything below reads local.functions, never the YAML.
# Event shapes follow the Serverless Framework's:
#   - http:     {method: GET, path: /api/v1/inventory/{item_id}, operation: get_item}
#   - event:    {eventType: google.cloud.pubsub.topic.v1.messagePublished, resource: <topic>}
#   - schedule: {rate: "every 5 minutes" | "rate(5 minutes)" | "*/5 * * * *", topic: <topic>,
#                data: <message body, optional>}
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
      # A dialect's: every path under it reaches this function (infra/gateway.tf).
      prefix = try(spec.prefix, null)

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

      # A function may have several timers (scheduled_sync: incremental often, full nightly),
      # all on its one topic; `data` is the message body the function reads.
      schedules = [
        for event in try(spec.events, []) : {
          rate  = event.schedule.rate
          topic = try(event.schedule.topic, "inventory-timers-${name}")
          data  = try(tostring(event.schedule.data), "")
        } if can(event.schedule.rate)
      ]
    }
  }

  http_functions = { for name, f in local.functions : name => f if length(f.routes) > 0 }

  # Functions started by a Pub/Sub message: an `event` on a topic, or `schedule`s whose
  # Cloud Scheduler jobs publish to a topic. One topic per timer function: an Eventarc
  # Pub/Sub trigger cannot filter on attributes, so a shared timer topic would wake every
  # timer function on every tick.
  pubsub_functions = {
    for name, f in local.functions : name => merge(f, {
      topic = coalesce(f.event_topic, try(f.schedules[0].topic, null))
    }) if length(f.routes) == 0 && (f.event_topic != null || length(f.schedules) > 0)
  }

  # One Cloud Scheduler job per schedule. Cloud Scheduler takes unix-cron: Serverless rates
  # are converted, a cron expression passes through.
  timers = merge([
    for name, f in local.pubsub_functions : {
      for index, schedule in f.schedules : "${name}-${index}" => {
        function = name
        topic    = f.topic
        data     = schedule.data
        rate     = schedule.rate
        cron = (
          can(regex("^(every|rate\\()\\s*(\\d+)\\s*minutes?\\)?$", schedule.rate))
          ? "*/${regex("(\\d+)", schedule.rate)[0]} * * * *"
          : can(regex("^(every|rate\\()\\s*(\\d+)\\s*hours?\\)?$", schedule.rate))
          ? "0 */${regex("(\\d+)", schedule.rate)[0]} * * *"
          : trimsuffix(trimprefix(schedule.rate, "cron("), ")")
        )
      }
    }
  ]...)

  topics = toset(concat(var.base_topics, [for f in local.pubsub_functions : f.topic]))

  # Topics no function consumes yet keep their messages in a pull subscription until one does.
  unconsumed_topics = setsubtract(local.topics, [for f in local.pubsub_functions : f.topic])
}
