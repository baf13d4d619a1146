"""The readable API reference: Swagger UI, its assets served from the flask-swagger-ui package
(pinned in requirements.txt), so the page works offline and loads nothing from a CDN."""
from __future__ import annotations

from functools import lru_cache
from html import escape
from importlib import resources

from ..domain.errors import NotFound

ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}


@lru_cache(maxsize=None)
def asset(name: str) -> tuple[bytes, str]:
    """One Swagger UI file and its media type; anything else is a 404."""
    if name not in ASSETS:
        raise NotFound(f"no documentation asset {name}", "asset", "asset_not_found")
    return (resources.files("flask_swagger_ui") / "dist" / name).read_bytes(), ASSETS[name]


def page(spec_url: str, assets_url: str, title: str = "Inventory API") -> str:
    """The HTML page that renders the OpenAPI document at `spec_url`."""
    title, spec_url, assets_url = escape(title), escape(spec_url), escape(assets_url)
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} reference</title>
  <link rel="icon" type="image/png" href="{assets_url}/favicon-32x32.png">
  <link rel="stylesheet" href="{assets_url}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{assets_url}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{spec_url}", dom_id: "#swagger-ui", deepLinking: true,
      defaultModelsExpandDepth: 0, displayRequestDuration: true, persistAuthorization: false,
    }});
  </script>
</body>
</html>
"""
