"""Datawiz's documented curl calls, run with curl against the local server as their documentation
writes them: only the host, the key, the ids (the demo shop and product) and the date changed."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from datawiz_shop import demo_shop  # noqa: F401 - the fixture

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is missing")


def curl(command: str) -> dict:
    result = subprocess.run(["bash", "-c", command + " --silent --show-error"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_their_curl_calls_post_a_row_and_read_it_back(demo_shop):
    server, key, item, location, today = (demo_shop.server, demo_shop.key, demo_shop.item,
                                          demo_shop.location, demo_shop.today)
    host = f"http://127.0.0.1:{server.port}"

    empty = curl(f"curl '{host}/api/v1/product-inventory/.json/?search=unknown-string' "
                 f'-H "Authorization: Bearer {key}"')
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}

    posted = curl(f"curl -d 'product_id={item['product_id']}&shop_id={location['id']}&date={today}"
                  f"&qty=5&stock_total_price=345.34' -H \"Authorization: Bearer {key}\" "
                  f"-X POST {host}/api/v1/product-inventory/")
    assert posted == {"updated": 0, "inserted": 1}

    page = curl(f'curl -H "Authorization: Bearer {key}" {host}/api/v1/product-inventory/')
    assert page["results"] == [{"date": today, "shop_id": location["id"],
                                "product_id": item["product_id"], "qty": "5.0000",
                                "original_price": "69.0680", "stock_total_price": "345.3400"}]
    assert server.item()["quantity"] == 5
