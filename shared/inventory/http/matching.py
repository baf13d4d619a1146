"""Choosing a route for a request, written once: each function's dispatch and the local gateway
(API Gateway's stand-in) both match a path against the routes of serverless.yaml this way."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, NamedTuple

from ..route_table import HttpRoute


@lru_cache(maxsize=None)
def compile_template(template: str) -> re.Pattern[str]:
    """A path template such as /api/v1/inventory/{item_id} as a regular expression."""
    parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ..., literal
    body = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
                   for index, part in enumerate(parts))
    return re.compile("^" + body + "/?$")


def allowed_methods(declared: set[str]) -> list[str]:
    """What a path takes, for `Allow`: its routes' methods, HEAD wherever GET is, and OPTIONS."""
    if not declared:
        return []
    return sorted(declared | {"OPTIONS"} | ({"HEAD"} if "GET" in declared else set()))


class Match(NamedTuple):
    route: HttpRoute | None  # the route for this method; None: see `allowed`
    params: dict[str, str]
    allowed: list[str]  # the path's methods, for Allow; empty: no route has this path
    nearest: HttpRoute | None = None  # the path's most literal route, whatever its method


def match(routes: Iterable[HttpRoute], method: str, path: str) -> Match:
    """The route for a request: a literal segment beats a parameter (/inventory/snapshot before
    /inventory/{item_id}), and HEAD goes where GET does (RFC 9110 9.3.2)."""
    found = []
    for route in routes:
        matched = compile_template(route.path).match(path)
        if matched:
            found.append((route, matched.groupdict()))
    found.sort(key=lambda pair: len(pair[1]))
    allowed = allowed_methods({route.method for route, _ in found})
    wanted = "GET" if method == "HEAD" else method
    chosen = next(((route, params) for route, params in found if route.method == wanted), None)
    nearest = found[0][0] if found else None
    if chosen is None:
        return Match(None, {}, allowed, nearest)
    return Match(chosen[0], chosen[1], allowed, nearest)
