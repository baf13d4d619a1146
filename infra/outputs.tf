output "gateway_url" {
  description = "Base URL of the API: https://<host>/api/v1/..."
  value       = "https://${google_api_gateway_gateway.inventory.default_hostname}"
}

output "function_urls" {
  description = "Direct URL of each function (private HTTP functions refuse calls without an ID token)."
  value       = { for name, f in google_cloudfunctions2_function.function : name => f.service_config[0].uri }
}

output "openapi" {
  description = "The OpenAPI 2.0 document the gateway serves."
  value       = local.openapi
}

output "eventarc_dead_letter_commands" {
  description = "Run once after apply: gives Eventarc's push subscriptions the dead-letter and backoff policy Terraform cannot set."
  value = [
    for name, f in local.pubsub_functions : join(" ", [
      "SUB=$(gcloud eventarc triggers describe ${google_cloudfunctions2_function.function[name].event_trigger[0].trigger}",
      "--location=${var.region} --project=${var.project_id} --format='value(transport.pubsub.subscription)') &&",
      "gcloud pubsub subscriptions update \"$SUB\"",
      "--dead-letter-topic=${google_pubsub_topic.dead_letter[f.topic].id}",
      "--max-delivery-attempts=${var.max_delivery_attempts}",
      "--min-retry-delay=10s --max-retry-delay=600s &&",
      "gcloud pubsub subscriptions add-iam-policy-binding \"$SUB\"",
      "--member=${local.pubsub_service_agent} --role=roles/pubsub.subscriber",
    ])
  ]
}
