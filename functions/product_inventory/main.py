"""/api/v1/product-inventory/: Datawiz's inventory rows (GET a page, POST rows, OPTIONS, HEAD),
as JSON (`.json`, `?format=json`) or a browsable HTML page (`.api`, `?format=api`)."""
import functools
from urllib.parse import parse_qsl

import functions_framework

from inventory.datawiz import collection, render
from inventory.datawiz.page_query import PageQuery
from inventory.datawiz.rows import InventoryRow, RowsRefused, parse_rows
from inventory.domain.codes import Scope
from inventory.domain.errors import DomainError
from inventory.http.errors import PayloadTooLarge, status_of
from inventory.http.matching import allowed_methods
from inventory.http.routes import Routes

routes = Routes("product_inventory")
ALLOW = ", ".join(allowed_methods({"GET", "POST"}))
ROW_ALLOW = ", ".join(allowed_methods({"GET"}))  # a row is read-only: rows are posted to the collection
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 1000


def _format(call) -> str | None:
    path = call.request.path.rstrip("/")
    chosen = "api" if path.endswith(".api") else "json" if path.endswith(".json") else None
    return call.request.args.get("format", chosen or "json")


def _answer(call, body, status=200, headers=None, allow=ALLOW):
    if _format(call) == "api":
        return render.browsable(body, status, allow, call.request.full_path.rstrip("?"))
    return render.json_answer(body, status, {"Allow": allow, **(headers or {})})


def _int(text, default):
    try:
        return int(text) if text is not None else default
    except ValueError:
        return None


def read_page(call):
    """A page of the collection, as their pagination, search and ordering read it."""
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
    codes = {location.id: location.code for location in
             call.services.store.list_locations(actor.organization_id) if location.code}
    return _answer(call, render.page_of(rows, page, size, call.request.base_url,
                                        dict(args.items()), codes))


def read_row(call):
    """One row by their single-row id, `{date}_{shop_id}_{product_id}` (`.json` or `.api` may
    follow, as their format suffixes); 404 {"detail": "Not found."} when there is none."""
    row_id = call.path["row_id"]
    for suffix in (".json", ".api"):
        row_id = row_id.removesuffix(suffix)
    if _format(call) not in ("json", "api"):
        return render.json_answer({"detail": "Not found."}, 404)
    row = collection.find_row(call.services, call.actor, row_id)
    if row is None:
        return _answer(call, {"detail": "Not found."}, 404, allow=ROW_ALLOW)
    codes = {location.id: location.code for location in
             call.services.store.list_locations(call.actor.organization_id) if location.code}
    collection_url = call.request.host_url + "api/v1/product-inventory/"
    return _answer(call, render.single(row, codes, collection_url), allow=ROW_ALLOW)


def form_fields(call) -> dict[str, str]:
    """A form-encoded row, under the same size limit as a JSON body."""
    limit = call.services.settings.max_body_bytes
    if (call.request.content_length or 0) > limit:
        raise PayloadTooLarge(f"bodies are limited to {limit} bytes")
    raw = call.request.get_data(cache=True)
    if len(raw) > limit:
        raise PayloadTooLarge(f"bodies are limited to {limit} bytes")
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise RowsRefused({"non_field_errors": ["The form is not UTF-8."]}) from None


def write_rows(call):
    """Rows posted (JSON, or form-encoded as their curl example): counted and kept, in one unit of work."""
    actor = call.actor
    actor.require(Scope.INVENTORY_WRITE)
    request = call.request
    if request.mimetype == "application/x-www-form-urlencoded":  # their curl -d example
        # Read from the body as Call reads it, so an Idempotency-Key fingerprints these bytes
        # (and is refused: a key's request is JSON).
        rows, many = parse_rows(form_fields(call))
    else:
        rows, many = parse_rows(call.json)
    plan = collection.check_rows(call.services, actor, rows, many)
    outcome = collection.apply_rows(call.services, actor, plan, call.write(
        lambda counted: {"updated": counted.updated, "inserted": counted.inserted}))
    headers = {"Location": request.host_url + "api/v1/product-inventory/"}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return _answer(call, outcome.reply.body, outcome.reply.status, headers)


def in_their_shape(handler):
    """Refusals as Datawiz sends them: field errors with 400, anything else as {"detail": …}."""
    @functools.wraps(handler)
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
    return answer


# Their handlers check the key and answer refusals in their shape, as JSON or the HTML page;
# each is served at /product-inventory/, /.json/ and /.api/ (serverless.yaml).
THEIRS = dict(scope=None, public=True, refusal_schema={"type": ["object", "array"]},
              media_type=("application/json", "text/html"), errors=(401, 403))
LISTING = dict(THEIRS, summary="Datawiz: a page of inventory rows", query=PageQuery,
               description="Django REST Framework page {count, next, previous, results}")
POSTING = dict(THEIRS, summary="Datawiz: post inventory rows (counts)", body=InventoryRow,
               status=201, description="{updated, inserted}")
# OPTIONS needs no key (as a CORS preflight); Routes answers it, the entry point adds the document.
DESCRIBING = dict(scope=None, public=True, summary="Datawiz: the metadata document",
                  description="Django REST Framework metadata {name, description, renders, "
                              "parses, actions}")


@routes.operation(**LISTING)
@in_their_shape
def list_rows(call):
    return read_page(call)


@routes.operation(**LISTING)
@in_their_shape
def list_rows_json(call):
    return read_page(call)


@routes.operation(**LISTING)
@in_their_shape
def list_rows_api(call):
    return read_page(call)


@routes.operation(**POSTING)
@in_their_shape
def post_rows(call):
    return write_rows(call)


@routes.operation(**POSTING)
@in_their_shape
def post_rows_json(call):
    return write_rows(call)


@routes.operation(**POSTING)
@in_their_shape
def post_rows_api(call):
    return write_rows(call)


@routes.operation(**dict(THEIRS, summary="Datawiz: one inventory row", errors=(401, 403, 404),
                          description="a row {url, date, shop_id, product_id, qty, original_price, "
                                      "stock_total_price, week_day}"))
@in_their_shape
def get_row(call):
    return read_row(call)


@routes.operation(**DESCRIBING)
def describe_row(call):
    return render.options_answer({"Allow": ROW_ALLOW})


@routes.operation(**DESCRIBING)
def describe(call):
    return render.options_answer({"Allow": ALLOW})


@routes.operation(**DESCRIBING)
def describe_json(call):
    return render.options_answer({"Allow": ALLOW})


@routes.operation(**DESCRIBING)
def describe_api(call):
    return render.options_answer({"Allow": ALLOW})


@functions_framework.http
def product_inventory(request):
    answer = routes.dispatch(request)  # OPTIONS: 204 with Allow and the CORS headers
    if request.method == "OPTIONS" and answer.status_code == 204:
        return render.options_answer(answer.headers)
    return answer
