"""The cursor of a list paged by a stored integer position (SQLite's ledger, event and delivery
sequence numbers; Firestore's item versions): a kind and the position, opaque to callers. Stores
keep these positions in signed 64-bit integers, so a cursor that names any other number is
refused here, before a store is asked."""
from __future__ import annotations

import base64
import re

from ..domain.errors import InvalidInput

_POSITION = re.compile(r"(0|[1-9][0-9]{0,18})")  # ASCII digits only: int() also reads "٣" and "+3"
_LARGEST = 2**63 - 1


def write(kind: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{position}".encode()).decode().rstrip("=")


def read(cursor: str, kind: str, field: str = "cursor") -> int:
    """The position the cursor names; InvalidInput (invalid_cursor) for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    found_kind, _, number = text.partition(":")
    if found_kind != kind or not _POSITION.fullmatch(number) or int(number) > _LARGEST:
        raise InvalidInput(f"{field} is not a cursor this API returned", field, "invalid_cursor")
    return int(number)
