"""GET /inventory?sku=…&product_id=…: exact match, on both stores, with the other filters, pages
and cursors; a malformed value is a 422 naming the parameter."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOMS = ["sales_floor", "vault", "quarantine", "secret_menu"]


def listed(api, **query) -> list[dict]:
    response = api.get("/api/v1/inventory", query=query)
    assert response.status == 200, response
    return response.json["data"]


def walk(api, **query) -> list[dict]:
    """Every page, following next_cursor."""
    found, cursor = [], None
    while True:
        response = api.get("/api/v1/inventory", query={**query, **({"cursor": cursor} if cursor else {})})
        assert response.status == 200, response
        found += response.json["data"]
        cursor = response.json["pagination"]["next_cursor"]
        if cursor is None:
            return found


def test_sku_and_product_id_find_exactly_their_items(api, other_api, location):
    elsewhere = api.location("Boulder")
    made = {
        "floor": api.item(location["id"], sku="BD-35", product_id="prod_bd", room_type="sales_floor"),
        "vault": api.item(location["id"], sku="BD-35", product_id="prod_bd", room_type="vault"),
        "boulder": api.item(elsewhere["id"], sku="BD-35", product_id="prod_bd"),
        "lower": api.item(location["id"], sku="bd-35", product_id="PROD_BD"),
        "longer": api.item(location["id"], sku="BD-350", product_id="prod_bd2"),
        "shorter": api.item(location["id"], sku="BD-3", product_id="prod_b"),
        "gone": api.item(location["id"], sku="BD-35", product_id="prod_bd", room_type="quarantine",
                         quantity=0),
    }
    assert api.delete(f"/api/v1/inventory/{made['gone']['id']}").status == 200
    theirs = other_api.location()
    other_api.item(theirs["id"], sku="BD-35", product_id="prod_bd")

    def ids(*names):
        return sorted(made[n]["id"] for n in names)

    by_sku = api.get("/api/v1/inventory", query={"sku": "BD-35"})
    assert sorted(i["id"] for i in by_sku.json["data"]) == ids("floor", "vault", "boulder")
    assert by_sku.json["pagination"]["total"] == 3
    assert sorted(i["id"] for i in listed(api, product_id="prod_bd")) == ids("floor", "vault", "boulder")
    assert [i["id"] for i in listed(api, sku="bd-35")] == ids("lower")
    assert [i["id"] for i in listed(api, product_id="PROD_BD")] == ids("lower")
    assert listed(api, sku="BD") == [] and listed(api, sku="BD-35 ") == []
    # With the other filters, and both at once.
    assert sorted(i["id"] for i in listed(api, sku="BD-35", location_id=location["id"])) == ids("floor", "vault")
    assert [i["id"] for i in listed(api, sku="BD-35", room_type="vault")] == ids("vault")
    assert [i["id"] for i in listed(api, sku="BD-350", product_id="prod_bd2")] == ids("longer")
    assert listed(api, sku="BD-350", product_id="prod_bd") == []
    # Paged by cursor and by page number, in id order, none twice.
    assert [i["id"] for i in walk(api, sku="BD-35", limit=1)] == ids("floor", "vault", "boulder")
    second = api.get("/api/v1/inventory", query={"product_id": "prod_bd", "limit": 2, "page": 2})
    assert [i["id"] for i in second.json["data"]] == ids("floor", "vault", "boulder")[2:]


@pytest.mark.parametrize("query, field", [
    ({"sku": ""}, "sku"), ({"sku": "x" * 101}, "sku"), ({"sku": "a\nb"}, "sku"),
    ({"product_id": ""}, "product_id"), ({"product_id": "p" * 101}, "product_id"),
    ({"product_id": "p\x00"}, "product_id"), ({"sku": ["A", "B"]}, "sku"),
])
def test_a_malformed_sku_or_product_id_is_422_naming_it(api, query, field):
    response = api.get("/api/v1/inventory", query=query)
    assert response.status == 422, response
    assert response.field_names() == [field]


# SKUs that differ by case, by a prefix, by an accent or by a space: an exact match tells them apart.
skus = st.text(alphabet="aAbé -", min_size=1, max_size=3).filter(lambda s: s.strip(" ") == s)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(places=st.lists(st.tuples(skus, st.sampled_from(ROOMS)), min_size=1, max_size=6, unique=True),
       wanted=skus)
def test_filtering_by_sku_matches_exactly_whatever_the_skus(api, places, wanted):
    location = api.location()
    made = [api.item(location["id"], sku=sku, product_id=f"p{sku}", room_type=room)
            for sku, room in places]
    for asked in {wanted, *(sku for sku, _ in places)}:
        expected = sorted(i["id"] for i in made if i["sku"] == asked)
        assert [i["id"] for i in listed(api, location_id=location["id"], sku=asked, limit=200)] == expected
        assert [i["id"] for i in listed(api, location_id=location["id"], product_id=f"p{asked}",
                                        limit=200)] == expected
