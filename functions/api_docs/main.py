"""GET /api/v1/openapi.json and /api/v1/docs: the API's OpenAPI 3.1 document and a page to read it.

No API key: the reference is public. A deployed bundle carries the document built by
scripts/write_openapi.py beside this file; a checkout builds it from serverless.yaml.
"""
import json
from functools import lru_cache
from pathlib import Path

import functions_framework
from flask import Response

from inventory.http import docs_page, render
from inventory.http.routes import Routes

routes = Routes("api_docs")
BUNDLED = Path(__file__).with_name("openapi.json")
CACHED = {"Cache-Control": "public, max-age=300"}


@lru_cache(maxsize=1)
def document() -> dict:
    if BUNDLED.exists():
        return json.loads(BUNDLED.read_text())
    from inventory.http import openapi  # reads serverless.yaml and every function's routes
    return openapi.document()


@routes.operation(scope=None, public=True, summary="This OpenAPI document",
                  description="The OpenAPI 3.1 document")
def openapi_document(call):
    return render.json_response(document(), headers=CACHED)


@routes.operation(scope=None, public=True, summary="The API reference page",
                  description="An HTML page rendering this document", media_type="text/html")
def reference_page(call):
    html = docs_page.page(routes.template_of("openapi_document"),
                          routes.template_of("reference_asset").removesuffix("/{asset}"))
    return Response(html, mimetype="text/html", headers=CACHED)


@routes.operation(scope=None, public=True,
                  summary="A file of the reference page (Swagger UI)", description="The file",
                  media_type=tuple(docs_page.ASSETS.values()))
def reference_asset(call):
    content, media_type = docs_page.asset(call.path["asset"])
    return Response(content, mimetype=media_type, headers={"Cache-Control": "public, max-age=86400"})


@functions_framework.http
def api_docs(request):
    return routes.dispatch(request)
