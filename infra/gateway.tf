# API Gateway in front of the HTTP functions. Its OpenAPI 2.0 document is generated from the
# manifest: one path per route template, one operation per method, each sent to its
# function's URL with the request path appended (the functions route on the full path).
#
# Authentication is the functions' own (Authorization: Bearer <api key>). With
# private_functions (the default) the gateway calls each function with a Google ID token for
# audience = the function URL, and Google moves the client's Authorization header to
# X-Forwarded-Authorization; the functions must read that header first. Without it,
# disable_auth passes Authorization through unchanged to publicly invocable functions.
# scripts/gateway_openapi.py builds the same document in Python for the tests.

locals {
  # Every method a path takes at the gateway, OPTIONS aside (scripts/deploy_manifest.py: GATEWAY_METHODS).
  gateway_methods = ["get", "put", "post", "delete", "patch", "head"]

  http_routes = flatten([
    for name, f in local.http_functions : [
      for route in f.routes : merge(route, { function = name })
    ]
  ])

  # jsonencode/jsondecode: the two shapes differ, and a conditional needs one type.
  gateway_backend = {
    for name, f in local.http_functions : name => jsondecode(var.private_functions
      ? jsonencode({
        address          = google_cloudfunctions2_function.function[name].service_config[0].uri
        path_translation = "APPEND_PATH_TO_ADDRESS"
        deadline         = f.timeout_s
        jwt_audience     = google_cloudfunctions2_function.function[name].service_config[0].uri
      })
      : jsonencode({
        address          = google_cloudfunctions2_function.function[name].service_config[0].uri
        path_translation = "APPEND_PATH_TO_ADDRESS"
        deadline         = f.timeout_s
        disable_auth     = true
      })
    )
  }

  gateway_paths = {
    for path in distinct([for route in local.http_routes : route.path]) : path => merge(
      # CORS preflight goes to the first function serving the path; the functions answer it.
      {
        options = {
          operationId        = "options_${join("_", regexall("[A-Za-z0-9]+", path))}"
          summary            = "CORS preflight"
          "x-google-backend" = local.gateway_backend[[for route in local.http_routes : route.function if route.path == path][0]]
          responses          = { "204" = { description = "Preflight answered by the function" } }
        }
      },
      # Every method: its route's function; HEAD: GET's; a method the path does not declare:
      # the first function serving the path, which answers 405 with Allow in its dialect's shape.
      {
        for method in local.gateway_methods : method => {
          operationId = "${method}_${join("_", regexall("[A-Za-z0-9]+", path))}"
          summary = concat(
            [for route in local.http_routes : route.function if route.path == path && lower(route.method) == method],
            [for route in local.http_routes : route.function if route.path == path && method == "head" && route.method == "GET"],
            [for route in local.http_routes : route.function if route.path == path],
          )[0]
          "x-google-backend" = local.gateway_backend[concat(
            [for route in local.http_routes : route.function if route.path == path && lower(route.method) == method],
            [for route in local.http_routes : route.function if route.path == path && method == "head" && route.method == "GET"],
            [for route in local.http_routes : route.function if route.path == path],
          )[0]]
          responses = { default = { description = "See the API reference" } }
        }
      },
      {
        parameters = [
          for name in flatten(regexall("\\{([^}]+)\\}", path)) : {
            name     = name
            in       = "path"
            required = true
            type     = "string"
          }
        ]
      },
    )
  }

  # A dialect's prefix (serverless.yaml `prefix`): any other path under it reaches its function,
  # which answers 404 or 405 in its dialect's shape.
  gateway_prefix_paths = {
    for name, f in local.http_functions : "${trimsuffix(f.prefix, "/")}/{rest=**}" => merge(
      {
        for method in concat(["options"], local.gateway_methods) : method => {
          operationId        = "${method}_${join("_", regexall("[A-Za-z0-9]+", "${f.prefix}/rest"))}"
          summary            = name
          "x-google-backend" = local.gateway_backend[name]
          responses          = { default = { description = "See the API reference" } }
        }
      },
      { parameters = [{ name = "rest", in = "path", required = true, type = "string" }] },
    ) if f.prefix != null
  }

  openapi = yamlencode({
    swagger  = "2.0"
    info     = { title = "inventory-api", version = "1.0.0" }
    schemes  = ["https"]
    produces = ["application/json"]
    paths    = merge(local.gateway_paths, local.gateway_prefix_paths)
  })
}

resource "google_api_gateway_api" "inventory" {
  provider = google-beta
  api_id   = "inventory-api"
}

resource "google_api_gateway_api_config" "inventory" {
  provider             = google-beta
  api                  = google_api_gateway_api.inventory.api_id
  api_config_id_prefix = "inventory-"

  openapi_documents {
    document {
      path     = "openapi.yaml"
      contents = base64encode(local.openapi)
    }
  }

  gateway_config {
    backend_config {
      google_service_account = google_service_account.gateway.email
    }
  }

  # A config cannot change in place; the new one must exist before the gateway moves to it.
  lifecycle {
    create_before_destroy = true
  }
}

resource "google_api_gateway_gateway" "inventory" {
  provider   = google-beta
  region     = var.region
  gateway_id = "inventory-gateway"
  api_config = google_api_gateway_api_config.inventory.id
}
