"""The cursor of the item list: the last item id of a page, opaque to callers. Both stores page
items by id, so both write and read it here and refuse the same malformed ones."""
from __future__ import annotations

import base64

from ..domain.commands import is_resource_id
from ..domain.errors import InvalidInput

_KIND = "after-id:"


def write(last_id: str) -> str:
    return base64.urlsafe_b64encode(f"{_KIND}{last_id}".encode()).decode().rstrip("=")


def read(cursor: str, field: str = "cursor") -> str:
    """The item id the cursor resumes after; InvalidInput (invalid_cursor) for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    last_id = text.removeprefix(_KIND)
    if not text.startswith(_KIND) or not is_resource_id(last_id):
        raise InvalidInput(f"{field} is not a cursor this API returned", field, "invalid_cursor")
    return last_id
