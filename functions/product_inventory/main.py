"""/api/v1/product-inventory/: Datawiz's inventory rows (GET a page, POST rows, OPTIONS, HEAD),
as JSON (`.json`, `?format=json`) or a browsable HTML page (`.api`, `?format=api`)."""
import functions_framework

from inventory.datawiz import collection, render
from inventory.datawiz.page_query import PageQuery
from inventory.datawiz.rows import InventoryRow, RowsRefused, parse_rows
from inventory.domain.codes import Scope
from inventory.domain.errors import DomainError
from inventory.http.errors import status_of
from inventory.http.routes import Routes, allowed_methods
from inventory.service.idempotency import WITHOUT_KEY

routes = Routes("product_inventory")
PATHS = ("/api/v1/product-inventory", "/api/v1/product-inventory/.json",
         "/api/v1/product-inventory/.api")
ALLOW = ", ".join(allowed_methods({"GET", "POST"}))
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 1000


def _format(call) -> str | None:
    path = call.request.path.rstrip("/")
    chosen = "api" if path.endswith(".api") else "json" if path.endswith(".json") else None
    return call.request.args.get("format", chosen or "json")


def _answer(call, body, status=200, headers=None):
    if _format(call) == "api":
        return render.browsable(body, status, ALLOW, call.request.full_path.rstrip("?"))
    return render.json_answer(body, status, {"Allow": ALLOW, **(headers or {})})


def _int(text, default):
    try:
        return int(text) if text is not None else default
    except ValueError:
        return None


def list_rows(call):
    if _format(call) not in ("json", "api"):
        return render.json_answer({"detail": "Not found."}, 404)
    actor = call.actor
    actor.require(Scope.INVENTORY_READ)
    args = call.request.args
    ordering = args.get("ordering")
    if ordering and ordering.lstrip("-") not in collection.ORDERINGS:
        ordering = None  # as Django REST Framework does: an unknown ordering is ignored
    size = _int(args.get("page_size"), DEFAULT_PAGE_SIZE)
    size = DEFAULT_PAGE_SIZE if size is None or size < 1 else min(size, MAX_PAGE_SIZE)
    rows = collection.list_rows(call.services, actor, args.get("search"), ordering)
    page = _int(args.get("page"), 1)
    if page is None or page < 1 or (page > 1 and (page - 1) * size >= len(rows)):
        return _answer(call, {"detail": "Invalid page."}, 404)
    return _answer(call, render.page_of(rows, page, size, call.request.base_url,
                                        dict(args.items())))


def post_rows(call):
    actor = call.actor
    actor.require(Scope.INVENTORY_WRITE)
    request = call.request
    if request.mimetype == "application/x-www-form-urlencoded":
        body, idempotency = request.form.to_dict(), WITHOUT_KEY
    else:
        body, idempotency = call.json, call.idempotency
    rows, many = parse_rows(body)
    written = collection.post_rows(call.services, actor, rows, many, idempotency)
    return _answer(call, {"updated": written.updated, "inserted": written.inserted}, 201,
                   {"Location": request.host_url + "api/v1/product-inventory/"})


def _in_their_shape(handler, suffix=""):
    """Refusals as Datawiz sends them: field errors with 400, anything else as {"detail": …}."""
    def answer(call):
        try:
            return handler(call)
        except RowsRefused as refused:
            return _answer(call, refused.detail, 400)
        except DomainError as refusal:
            if refusal.fields and status_of(refusal) == 400:
                detail = {}
                for field in refusal.fields:
                    detail.setdefault(field.field, []).append(field.message)
                return _answer(call, detail, 400)
            return _answer(call, {"detail": refusal.message}, status_of(refusal))
    answer.__name__ = handler.__name__ + suffix  # the OpenAPI operation id, one per path
    answer.__doc__ = handler.__doc__
    return answer


def describe(call):
    """OPTIONS: their metadata document, from the model POST validates with (no key needed, as
    for a CORS preflight). Routes answers OPTIONS itself; the entry point below adds the document."""
    return render.options_answer({"Allow": ALLOW})


# Their handlers check the key and answer refusals in their shape, as JSON or the HTML page.
THEIRS = dict(scope=None, public=True, refusal_schema={"type": ["object", "array"]},
              media_type=("application/json", "text/html"))
for path, suffix in zip(PATHS, ("", "_json", "_api")):
    routes.get(path, **THEIRS, summary="Datawiz: a page of inventory rows", query=PageQuery,
               errors=(401, 403), response="Django REST Framework page {count, next, previous, results}")(
        _in_their_shape(list_rows, suffix))
    routes.post(path, **THEIRS, summary="Datawiz: post inventory rows (counts)", body=InventoryRow,
                errors=(401, 403), status=201, response="{updated, inserted}")(
        _in_their_shape(post_rows, suffix))
    routes.add("OPTIONS", path, None, public=True, summary="Datawiz: the metadata document",
               response="Django REST Framework metadata {name, description, renders, parses, actions}")(
        _in_their_shape(describe, suffix))


@functions_framework.http
def product_inventory(request):
    answer = routes.dispatch(request)  # OPTIONS: 204 with Allow and the CORS headers
    if request.method == "OPTIONS" and answer.status_code == 204:
        return render.options_answer(answer.headers)
    return answer
