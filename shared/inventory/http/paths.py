"""Path templates such as /api/v1/inventory/{item_id} as regular expressions."""
from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=None)
def compile_template(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "/?$")
