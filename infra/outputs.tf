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
