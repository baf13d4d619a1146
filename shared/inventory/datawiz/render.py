"""Datawiz's answers: DRF pages with absolute links, decimals as strings with four places,
errors as {"field": ["message"]} or {"detail": …}, and the browsable HTML page."""
from __future__ import annotations

import html
import json
from datetime import date
from decimal import Decimal
from typing import Any, Sequence
from urllib.parse import quote, urlencode

from flask import Response

from ..domain import wire
from ..service.ports import StockRow
from .collection import RowsPage, stock_total
from .rows import metadata

NAME = "Product Inventory List"
COLUMNS = ("date", "shop_id", "product_id", "qty", "original_price", "stock_total_price")
DESCRIPTION = ("Dated stock rows: the count of a product at a shop at the end of `date`. "
               "POST a row (or a list) to record it; GET reads back the rows posted.")


def four_places(value: str | Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.4f}"


def result(row: StockRow, codes: dict[str, str]) -> dict[str, Any]:
    """A row as they show it; `shop_id` is the location's code where it has one."""
    return {"date": row.date, "shop_id": codes.get(row.location_id) or row.location_id,
            "product_id": row.product_id,
            "qty": four_places(row.qty), "original_price": four_places(row.original_price),
            "stock_total_price": four_places(stock_total(row))}


def single(row: StockRow, codes: dict[str, str], collection_url: str) -> dict[str, Any]:
    """One row as their single-row GET shows it: a result with its own `url` and `week_day`
    (Monday 0)."""
    shown = result(row, codes)
    url = f"{collection_url}{row.date}_{shown['shop_id']}_{quote(row.product_id, safe='')}/"
    return {"url": url, **shown, "week_day": date.fromisoformat(row.date).weekday()}


def page_of(found: RowsPage, page: int, base_url: str, query: dict[str, str],
            codes: dict[str, str]) -> dict[str, Any]:
    """A DRF page; its `next` link carries the keyset cursor the page after it resumes from."""
    def link(number: int, after: str | None = None) -> str:
        kept = {k: v for k, v in query.items() if k not in ("page", "cursor")}
        if number > 1:
            kept["page"] = str(number)
        if after:
            kept["cursor"] = after
        return base_url + ("?" + urlencode(kept) if kept else "")

    return {"count": found.count,
            "next": link(page + 1, found.next_cursor) if found.next_cursor else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": [result(row, codes) for row in found.rows]}


def json_answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(wire.dumps(body), status=status, headers=headers or {},
                    mimetype="application/json")


def options_answer(headers) -> Response:
    """Their metadata document; `actions` only where POST is allowed (the collection's URL)."""
    kept = {k: v for k, v in dict(headers).items() if k.lower() not in ("content-type", "content-length")}
    document = metadata(NAME, DESCRIPTION)
    if "POST" not in kept.get("Allow", ""):
        del document["actions"]
    return json_answer(document, headers=kept)


def browsable(body: Any, status: int, allow: str, path: str) -> Response:
    """The collection as an HTML page (their `.api` / `?format=api`), with a form to post a row."""
    fields = metadata(NAME, DESCRIPTION)["actions"]["POST"]
    inputs = "\n".join(
        f'<label>{html.escape(spec["label"])} <input name="{name}" '
        f'type="{"date" if spec["type"] == "date" else "text"}"'
        f'{" required" if spec["required"] else ""}></label><br>'
        for name, spec in fields.items())
    rows = ""
    for one in (body.get("results", []) if isinstance(body, dict) else []):
        rows += "<tr>" + "".join(f"<td>{html.escape('' if one[k] is None else str(one[k]))}</td>"
                                 for k in COLUMNS) + "</tr>\n"
    heads = "".join(f"<th>{name}</th>" for name in COLUMNS)
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{NAME}</title></head>
<body>
<h1>{NAME}</h1>
<p>{html.escape(DESCRIPTION)}</p>
<p><b>GET</b> {html.escape(path)} &mdash; HTTP {status} &mdash; Allow: {html.escape(allow)}</p>
<table id="results" border="1"><thead><tr>{heads}</tr></thead><tbody>
{rows}</tbody></table>
<pre id="response">{html.escape(json.dumps(body, indent=4))}</pre>
<h2>POST</h2>
<form id="post-row">
<label>API key <input name="api_key" type="password"></label><br>
{inputs}
<button type="submit">POST</button>
</form>
<pre id="post-result"></pre>
<script>
// The key stays in the page: typed in the form, or given in the address's fragment (#key=…),
// which browsers never send to the server.
const COLUMNS = ["date", "shop_id", "product_id", "qty", "original_price", "stock_total_price"];
const form = document.getElementById("post-row");
const given = new URLSearchParams(location.hash.slice(1)).get("key");
if (given) form.elements.api_key.value = given;
const collection = location.pathname.replace(/\\/?(\\.api|\\.json)?\\/?$/, "/");

function authorized(extra) {{
  const key = form.elements.api_key.value;
  return Object.assign(key ? {{"Authorization": "Bearer " + key}} : {{}}, extra || {{}});
}}

async function refresh() {{
  const params = new URLSearchParams(location.search);
  params.set("format", "json");
  const answer = await fetch(collection + "?" + params, {{headers: authorized()}});
  const body = await answer.json();
  document.getElementById("response").textContent = JSON.stringify(body, null, 4);
  const rows = document.querySelector("#results tbody");
  rows.replaceChildren();
  for (const result of body.results || []) {{
    const line = rows.insertRow();
    for (const name of COLUMNS) line.insertCell().textContent = result[name] === null ? "" : result[name];
  }}
}}

form.addEventListener("submit", async (event) => {{
  event.preventDefault();
  const row = {{}};
  for (const [name, value] of new FormData(form).entries())
    if (name !== "api_key" && value !== "") row[name] = value;
  const answer = await fetch(collection, {{method: "POST", body: JSON.stringify(row),
    headers: authorized({{"Content-Type": "application/json"}})}});
  document.getElementById("post-result").textContent =
    "HTTP " + answer.status + "\\n" + JSON.stringify(await answer.json(), null, 4);
  await refresh();
}});

if (given) refresh();
</script>
</body></html>"""
    return Response(page, status=status, headers={"Allow": allow}, mimetype="text/html")
