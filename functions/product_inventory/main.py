"""/api/v1/product-inventory/: Datawiz's inventory rows (GET a page, POST rows, OPTIONS, HEAD),
as JSON (`.json`, `?format=json`) or a browsable HTML page (`.api`, `?format=api`)."""
import functools
from urllib.parse import parse_qsl

import functions_framework

from inventory.datawiz import collection, render
from inventory.datawiz.answers import ALLOW, DATAWIZ, ROW_ALLOW, answer, format_of
from inventory.datawiz.page_query import PageQuery
from inventory.datawiz.rows import InventoryRow, RowsRefused, parse_rows
from inventory.http.routes import Routes

# Every refusal, the missing key's too, as Datawiz sends it, in the format asked for.
routes = Routes("product_inventory", dialect=DATAWIZ)
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 1000


def _int(text, default):
    try:
        return int(text) if text is not None else default
    except ValueError:
        return None


def read_page(call):
    """A page of the collection, as their pagination, search and ordering read it."""
    if format_of(call.request) not in ("json", "api"):
        return render.json_answer({"detail": "Not found."}, 404)
    actor = call.actor
    args = call.request.args
    ordering = args.get("ordering")
    if ordering and ordering.lstrip("-") not in collection.ORDERINGS:
        ordering = None  # as Django REST Framework does: an unknown ordering is ignored
    size = _int(args.get("page_size"), DEFAULT_PAGE_SIZE)
    size = DEFAULT_PAGE_SIZE if size is None or size < 1 else min(size, MAX_PAGE_SIZE)
    page = _int(args.get("page"), 1)
    found = None if page is None or page < 1 else collection.read_page(
        call.services, actor, args.get("search"), ordering, page, size, args.get("cursor"))
    if found is None:
        return answer(call.request, {"detail": "Invalid page."}, 404)
    codes = {location.id: location.code for location in
             call.services.store.list_locations(actor.organization_id) if location.code}
    return answer(call.request, render.page_of(found, page, call.request.base_url,
                                               dict(args.items()), codes))


def read_row(call):
    """One row by their single-row id, `{date}_{shop_id}_{product_id}` (`.json` or `.api` may
    follow, as their format suffixes); 404 {"detail": "Not found."} when there is none."""
    row_id = call.path["row_id"]
    for suffix in (".json", ".api"):
        row_id = row_id.removesuffix(suffix)
    if format_of(call.request) not in ("json", "api"):
        return render.json_answer({"detail": "Not found."}, 404)
    row = collection.find_row(call.services, call.actor, row_id)
    if row is None:
        return answer(call.request, {"detail": "Not found."}, 404)
    codes = {location.id: location.code for location in
             call.services.store.list_locations(call.actor.organization_id) if location.code}
    collection_url = call.request.host_url + "api/v1/product-inventory/"
    return answer(call.request, render.single(row, codes, collection_url))


def form_fields(call) -> dict[str, str]:
    """A form-encoded row, under the same size limit as a JSON body."""
    try:
        return dict(parse_qsl(call.raw_body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise RowsRefused({"non_field_errors": ["The form is not UTF-8."]}) from None


def write_rows(call):
    """Rows posted (JSON, or form-encoded as their curl example): counted and kept, in one unit of work."""
    actor = call.actor
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
    return answer(call.request, outcome.reply.body, outcome.reply.status, headers)


def in_their_shape(handler):
    """Rows refused as Datawiz refuses them: field errors with 400 (other refusals reach the
    DATAWIZ dialect through Routes)."""
    @functools.wraps(handler)
    def answer_rows_refused(call):
        try:
            return handler(call)
        except RowsRefused as refused:
            return answer(call.request, refused.detail, 400)
    return answer_rows_refused


# Their routes: a page and a post, at /product-inventory/, /.json/ and /.api/ (serverless.yaml).
THEIRS = dict(media_type=("application/json", "text/html"))
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
    answered = routes.dispatch(request)  # OPTIONS: 204 with Allow and the CORS headers
    if request.method == "OPTIONS" and answered.status_code == 204:
        return render.options_answer(answered.headers)
    return answered
