"""Path templates such as /api/v1/inventory/{item_id} as regular expressions."""
from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=None)
def compile_template(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ..., literal
    body = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
                   for index, part in enumerate(parts))
    return re.compile("^" + body + "/?$")
