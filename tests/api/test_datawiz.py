"""The Datawiz dialect (/api/v1/product-inventory/): their documented calls as written, every
refusal in their shape with nothing written, and what it writes seen through the native API."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from inventory.datawiz.rows import InventoryRow, RowsRefused, parse_rows
from inventory.domain.codes import Scope

from conftest import Api, events_of, new_organization

COLLECTION = "/api/v1/product-inventory/"
EMPTY = {"count": 0, "next": None, "previous": None, "results": []}


def today(time_zone: str = "America/Denver") -> str:
    return datetime.now(ZoneInfo(time_zone)).date().isoformat()


@pytest.fixture
def shop(api, location):
    """A shop (location) with two products: prod_1 counted in units, prod_2 in grams."""
    first = api.item(location["id"], quantity=10)
    second = api.item(location["id"], product_id="prod_2", product_name="OG Kush", sku="OG-1",
                      unit="g", quantity=Decimal("3.5"))
    return {"shop_id": location["id"], "items": {"prod_1": first, "prod_2": second}}


def their_row(shop, **fields) -> dict:
    """The row their documentation posts: qty 2, price 46.67 and a stock_total_price of "0.00"."""
    row = {"date": today(), "shop_id": shop["shop_id"], "product_id": "prod_1", "qty": 2,
           "original_price": "46.67", "stock_total_price": "0.00"}
    row.update(fields)
    return row


def post(api: Api, body, path=COLLECTION, **kw):
    return api.post(path, body, idempotency_key=False, **kw)


def quantity_of(api: Api, item_id: str) -> Decimal:
    return Decimal(str(api.get(f"/api/v1/inventory/{item_id}").json["data"]["quantity"]))


def assert_nothing_written(api: Api, shop) -> None:
    assert api.get(COLLECTION).json == EMPTY
    for product, item in shop["items"].items():
        assert quantity_of(api, item["id"]) == Decimal(str(item["quantity"])), product
        assert len(api.changes(item["id"])) == 1  # the opening quantity only


# --- their documented calls -------------------------------------------------------------------

def test_the_documented_empty_search_answers_their_empty_collection(api, shop):
    response = api.get("/api/v1/product-inventory/.json/?search=unknown-string")
    assert response.status == 200, response
    assert response.json == EMPTY


def test_their_example_row_is_a_count_the_native_ledger_explains_and_reads_back(api, shop):
    response = post(api, their_row(shop))
    assert response.status == 201, response
    assert response.json == {"updated": 0, "inserted": 1}
    assert response.headers["Location"] == "http://localhost/api/v1/product-inventory/"
    page = api.get(COLLECTION).json
    assert page == {"count": 1, "next": None, "previous": None, "results": [
        {"date": today(), "shop_id": shop["shop_id"], "product_id": "prod_1", "qty": "2.0000",
         "original_price": "46.6700", "stock_total_price": "93.3400"}]}
    item_id = shop["items"]["prod_1"]["id"]
    assert quantity_of(api, item_id) == 2
    changes = api.changes(item_id)
    assert changes[0]["reason_code"] == "AUDIT" and "Datawiz" in changes[0]["notes"]
    assert sum(Decimal(str(c["quantity_change"])) for c in changes) == 2
    updated = [e for e in events_of(api) if e["type"] == "inventory.updated"]
    assert updated[-1]["data"]["change"]["id"] == changes[0]["id"]  # webhooks hear of it too


def test_a_row_for_the_same_product_shop_and_date_replaces_the_one_before(api, shop):
    assert post(api, their_row(shop)).json == {"updated": 0, "inserted": 1}
    again = post(api, their_row(shop, qty=7, original_price="10", stock_total_price="70.00"))
    assert again.status == 201 and again.json == {"updated": 1, "inserted": 0}
    results = api.get(COLLECTION).json["results"]
    assert [(r["qty"], r["stock_total_price"]) for r in results] == [("7.0000", "70.0000")]
    assert quantity_of(api, shop["items"]["prod_1"]["id"]) == 7


def test_their_form_encoded_curl_call_works_and_the_price_comes_from_the_total(api, shop):
    form = (f"product_id=prod_1&shop_id={shop['shop_id']}&date={today()}&qty=5"
            "&stock_total_price=345.34").encode()
    response = api.post(COLLECTION, raw=form, content_type="application/x-www-form-urlencoded",
                        idempotency_key=False)
    assert response.status == 201, response
    (row,) = api.get(COLLECTION).json["results"]
    assert (row["qty"], row["original_price"], row["stock_total_price"]) == (
        "5.0000", "69.0680", "345.3400")


def test_a_list_of_rows_is_counted_at_once(api, shop):
    response = post(api, [their_row(shop), their_row(shop, product_id="prod_2", qty="1.25",
                                                     original_price=None, stock_total_price=None)])
    assert response.status == 201 and response.json == {"updated": 0, "inserted": 2}
    assert quantity_of(api, shop["items"]["prod_2"]["id"]) == Decimal("1.25")
    results = api.get(COLLECTION).json["results"]
    assert results[1] == {"date": today(), "shop_id": shop["shop_id"], "product_id": "prod_2",
                          "qty": "1.2500", "original_price": None, "stock_total_price": None}


def test_pages_have_absolute_links_and_search_and_ordering_work(api, location):
    for n in range(3):
        api.item(location["id"], product_id=f"sku-{n}", sku=f"S-{n}", quantity=1)
    rows = [{"date": today(), "shop_id": location["id"], "product_id": f"sku-{n}", "qty": n}
            for n in range(3)]
    assert post(api, rows).json == {"updated": 0, "inserted": 3}
    first = api.get(COLLECTION, query={"page_size": 2, "ordering": "-name"}).json
    assert first["count"] == 3 and first["previous"] is None
    assert [r["product_id"] for r in first["results"]] == ["sku-2", "sku-1"]
    link = urlsplit(first["next"])
    assert (link.scheme, link.netloc, link.path) == ("http", "localhost", COLLECTION)
    second = api.get(first["next"]).json
    assert [r["product_id"] for r in second["results"]] == ["sku-0"] and second["next"] is None
    assert api.get(second["previous"]).json == first
    assert [r["product_id"] for r in api.get(COLLECTION, query={"search": "KU-1"}).json["results"]] == ["sku-1"]
    assert [r["product_id"] for r in api.get(COLLECTION, query={"ordering": "identifier"}).json["results"]] == [
        "sku-0", "sku-1", "sku-2"]


@pytest.mark.parametrize("path", ["/api/v1/product-inventory", COLLECTION, "/api/v1/product-inventory/.json",
                                  "/api/v1/product-inventory/.json/", COLLECTION + "?format=json"])
def test_every_json_spelling_answers_the_same_page(api, shop, path):
    assert post(api, their_row(shop)).status == 201
    response = api.get(path)
    assert response.status == 200 and response.headers["Content-Type"] == "application/json"
    assert response.json["count"] == 1


@pytest.mark.parametrize("path", ["/api/v1/product-inventory/.api", "/api/v1/product-inventory/.api/",
                                  COLLECTION + "?format=api"])
def test_every_api_spelling_answers_the_browsable_page(api, shop, path):
    assert post(api, their_row(shop)).status == 201
    response = api.get(path)
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/html")
    assert "46.6700" in response.text and '<form id="post-row">' in response.text


def test_options_answers_their_metadata_from_the_model_post_validates_with(api):
    response = api.request("OPTIONS", COLLECTION)
    assert response.status == 200, response
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    document = response.json
    assert document["name"] == "Product Inventory List"
    assert document["renders"] == ["application/json", "text/html"]
    assert "application/json" in document["parses"]
    fields = document["actions"]["POST"]
    assert list(fields) == list(InventoryRow.model_fields)
    assert fields["date"] == {"type": "date", "required": True, "read_only": False, "label": "Date"}
    assert fields["shop_id"]["max_length"] == 50 and fields["product_id"]["max_length"] == 100
    assert fields["qty"]["type"] == "decimal" and fields["qty"]["required"] is True
    assert fields["stock_total_price"]["required"] is False


def test_head_is_get_without_the_body_and_allow_is_on_every_answer(api, shop):
    got, head = api.get(COLLECTION), api.request("HEAD", COLLECTION)
    assert head.status == 200 and head.text == ""
    assert head.headers["Allow"] == got.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert head.headers["Content-Type"] == got.headers["Content-Type"]


def test_the_native_routes_are_untouched_and_unknown_paths_are_404(api, shop):
    assert api.get("/api/v1/inventory").json["pagination"]["total"] == 2
    assert api.get("/api/v1/product-inventory/2018-01-16_3_5110").status == 404
    assert api.request("DELETE", COLLECTION).status == 405


# --- refusals: their shape, status 400, nothing written ---------------------------------------

REFUSED = [
    ({"qty": None}, {"qty": ["This field is required."]}),
    ({"date": "16.01.2018"}, {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ({"qty": "many"}, {"qty": ["A valid number is required."]}),
    ({"qty": -1}, {"qty": ["Ensure this value is greater than or equal to 0."]}),
    ({"shop_id": "x" * 51}, {"shop_id": ["Ensure this field has no more than 50 characters."]}),
    ({"stock_total_price": "90.00"}, {"stock_total_price": [
        "Must be qty × original_price (93.34), or 0 to let us compute it."]}),
]


@pytest.mark.parametrize("change, expected", REFUSED)
def test_an_invalid_row_is_refused_in_their_shape_and_writes_nothing(api, shop, change, expected):
    row = {k: v for k, v in their_row(shop, **change).items() if v is not None}
    response = post(api, row)
    assert response.status == 400, response
    assert response.json == expected
    assert_nothing_written(api, shop)


def test_unknown_shop_and_product_are_refused_by_field(api, shop, other_api):
    other_shop = other_api.location()["id"]
    refused = post(api, [their_row(shop, shop_id="9"), their_row(shop, product_id="nope"),
                         their_row(shop, shop_id=other_shop)])
    assert refused.status == 400
    assert [list(problem) for problem in refused.json] == [["shop_id"], ["product_id"], ["shop_id"]]
    assert_nothing_written(api, shop)


@example(shop_id="a/b")
@example(shop_id="..")
@example(shop_id="__x__")
@given(shop_id=st.text(min_size=1, max_size=50).filter(lambda t: not any(c < " " for c in t)))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_unknown_shop_id_is_refused_on_shop_id(api, shop, shop_id):
    if shop_id == shop["shop_id"]:
        return
    refused = post(api, their_row(shop, shop_id=shop_id))
    assert refused.status == 400 and list(refused.json) == ["shop_id"], refused


def test_more_rows_than_one_bulk_change_takes_are_refused(api, shop):
    refused = post(api, [their_row(shop)] * 501)
    assert refused.status == 400 and list(refused.json) == ["non_field_errors"]
    assert_nothing_written(api, shop)


def test_a_row_dated_after_today_in_the_shops_time_zone_is_refused_naming_date(api, shop):
    tomorrow = (date.fromisoformat(today()) + timedelta(days=1)).isoformat()
    refused = post(api, their_row(shop, date=tomorrow))
    assert refused.status == 400 and list(refused.json) == ["date"]
    assert "after today" in refused.json["date"][0]
    assert_nothing_written(api, shop)


def test_one_bad_row_in_a_list_refuses_the_list_by_position(api, shop):
    second = their_row(shop, product_id="prod_2")
    del second["qty"]
    refused = post(api, [their_row(shop), second])
    assert refused.status == 400
    assert refused.json == [{}, {"qty": ["This field is required."]}]
    assert_nothing_written(api, shop)


def test_a_fraction_of_a_unit_counted_item_is_refused_on_qty(api, shop):
    refused = post(api, their_row(shop, qty="1.5", stock_total_price=None))
    assert refused.status == 400 and list(refused.json) == ["qty"]
    in_a_list = post(api, [their_row(shop, product_id="prod_2", qty="1.25"),
                           their_row(shop, qty="1.5", stock_total_price=None)])
    assert in_a_list.status == 400
    assert in_a_list.json[0] == {} and list(in_a_list.json[1]) == ["qty"]
    assert_nothing_written(api, shop)


@pytest.mark.parametrize("body", ["a row", 3, [], ["a row"]])
def test_a_body_that_is_not_rows_is_refused_with_non_field_errors(api, shop, body):
    refused = post(api, body)
    assert refused.status == 400
    problems = refused.json if isinstance(refused.json, dict) else refused.json[0]
    assert list(problems) == ["non_field_errors"]
    assert_nothing_written(api, shop)


def test_keys_are_checked_and_refusals_say_detail(api, shop, gateway, services):
    anonymous = Api(gateway, None)
    assert anonymous.get(COLLECTION).status == 401 and "detail" in anonymous.get(COLLECTION).json
    _, secret = new_organization(services, scopes=(Scope.INVENTORY_READ,))
    reader = Api(gateway, secret)
    assert reader.get(COLLECTION).status == 200
    refused = post(reader, their_row(shop))
    assert refused.status == 403 and list(refused.json) == ["detail"]
    assert api.get(COLLECTION, query={"page": 2}).json == {"detail": "Invalid page."}
    assert api.get(COLLECTION, query={"format": "xml"}).status == 404
    assert_nothing_written(api, shop)


# --- stock_total_price, as a class ------------------------------------------------------------

money = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=0, max_value=10**5)


@settings(max_examples=200, deadline=None)
@given(qty=counts, price=money, posted=money)
def test_a_posted_total_is_accepted_when_zero_or_qty_times_price_and_refused_otherwise(qty, price, posted):
    row = {"date": "2026-11-30", "shop_id": "3", "product_id": "777", "qty": qty,
           "original_price": str(price), "stock_total_price": str(posted)}
    exact = qty * price
    agrees = posted == 0 or posted in (exact, exact.quantize(Decimal("0.01")))
    try:
        parse_rows(row)
        accepted = True
    except RowsRefused as refused:
        accepted = False
        assert list(refused.detail) == ["stock_total_price"]
    assert accepted == agrees


def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer_and_counts_once(api, shop):
    first = api.post(COLLECTION, their_row(shop), idempotency_key="datawiz-upload-1")
    again = api.post(COLLECTION, their_row(shop), idempotency_key="datawiz-upload-1")
    assert first.status == again.status == 201
    assert first.json == again.json == {"updated": 0, "inserted": 1}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(api.changes(shop["items"]["prod_1"]["id"])) == 2  # the opening and one count
    other = api.post(COLLECTION, their_row(shop, qty=3), idempotency_key="datawiz-upload-1")
    assert other.status == 422 and list(other.json) == ["detail"]


def test_a_form_encoded_post_with_an_idempotency_key_is_refused_and_writes_nothing(api, shop):
    form = f"product_id=prod_1&shop_id={shop['shop_id']}&date={today()}&qty=5".encode()
    refused = api.post(COLLECTION, raw=form, content_type="application/x-www-form-urlencoded",
                       idempotency_key="form-1")
    assert refused.status == 415 and list(refused.json) == ["detail"]
    assert_nothing_written(api, shop)


def test_a_form_over_the_body_limit_is_refused_and_writes_nothing(api, shop):
    form = (f"product_id=prod_1&shop_id={shop['shop_id']}&date={today()}&qty=5&pad="
            + "x" * 1_100_000).encode()
    refused = api.post(COLLECTION, raw=form, content_type="application/x-www-form-urlencoded",
                       idempotency_key=False)
    assert refused.status == 413 and list(refused.json) == ["detail"]
    assert_nothing_written(api, shop)



def test_a_shop_number_is_a_location_code_and_an_id_wins_over_a_code(api, shop):
    coded = api.post("/api/v1/locations", {"name": "Shop 3", "time_zone": "America/Denver",
                                            "code": "3"})
    assert coded.status == 201, coded
    shop_3 = coded.json["data"]["id"]
    item = api.item(shop_3, quantity=1)
    assert post(api, their_row(shop, shop_id="3")).json == {"updated": 0, "inserted": 1}
    assert quantity_of(api, item["id"]) == 2
    assert api.get(COLLECTION).json["results"][0]["shop_id"] == "3"  # read back as sent
    # A location whose code is another's id: the id wins.
    tricky = api.post("/api/v1/locations", {"name": "Tricky", "time_zone": "America/Denver",
                                             "code": shop["shop_id"]})
    assert tricky.status == 201, tricky
    assert post(api, their_row(shop, qty=4)).status == 201
    assert quantity_of(api, shop["items"]["prod_1"]["id"]) == 4


def test_a_datawiz_count_is_what_squares_api_reads(api, shop):
    assert post(api, their_row(shop)).status == 201
    square = api.post("/v2/inventory/counts/batch-retrieve",
                      {"catalog_object_ids": ["prod_1"], "location_ids": [shop["shop_id"]]},
                      idempotency_key=False)
    assert square.status == 200, square
    assert [(c["state"], c["quantity"]) for c in square.json["counts"]] == [("IN_STOCK", "2")]
