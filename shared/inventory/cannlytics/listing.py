"""The query of Cannlytics' GET `/api/inventory`: `limit`, `order_by` and `desc`, as their API
reads them (api/api.py get_objects: `limit` 1000 by default, `order_by` a field, `desc` the
direction), refused in their shape when they cannot be read."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from ..http.errors import BadRequest
from .fields import FIELDS, empty

DEFAULT_LIMIT = 1000  # theirs
MAX_LIMIT = 10_000
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


@dataclass(frozen=True)
class ListQuery:
    limit: int = DEFAULT_LIMIT
    order_by: str | None = None
    desc: bool = False


def parse_query(args: Mapping[str, str]) -> ListQuery:
    """`limit` a whole number 1–10,000; `order_by` one of their 27 fields; `desc` true or false."""
    limit = args.get("limit")
    if limit is None:
        number = DEFAULT_LIMIT
    elif not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {limit!r}",
                         "limit", "invalid_limit")
    else:
        number = int(limit)
    order_by = args.get("order_by") or None
    if order_by is not None and order_by not in FIELDS:
        raise BadRequest(f"order_by must be one of the item's fields ({', '.join(FIELDS)}), "
                         f"not {order_by!r}", "order_by", "invalid_order_by")
    desc = args.get("desc", "").strip().lower()
    if desc not in TRUE + FALSE:
        raise BadRequest(f"desc must be true or false, not {args.get('desc')!r}", "desc",
                         "invalid_desc")
    return ListQuery(number, order_by, desc in TRUE)


def ordered(rendered: list[dict[str, str]], query: ListQuery) -> list[dict[str, str]]:
    """Items by `order_by` (quantity as a number, every other field as text), `desc` reversing;
    items with the field empty come last either way; ties keep the oldest first."""
    if query.order_by is None:
        return rendered
    field = query.order_by
    blank = empty(field)
    valued = [item for item in rendered if item[field] not in ("", blank)]
    unvalued = [item for item in rendered if item[field] in ("", blank)]
    return sorted(valued, key=lambda item: _key(field, item[field]), reverse=query.desc) + unvalued


def _key(field: str, value: str) -> Any:
    return Decimal(value) if field == "quantity" else value
