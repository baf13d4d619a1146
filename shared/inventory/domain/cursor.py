"""Opaque cursors: where a list resumes, as unpadded URL-safe base64 of "kind:value".

Every list of every store (and the snapshot) writes and reads its cursors here, so a cursor that
is not one the list wrote — undecodable, of another kind or list, or naming a value the list
cannot hold — is refused the same way everywhere: InvalidInput, code `invalid_cursor`, naming
the query parameter it came in.
"""
from __future__ import annotations

import base64
import re
from typing import Callable

from .commands import is_resource_id
from .errors import InvalidInput

_POSITION = re.compile(r"(0|[1-9][0-9]{0,18})")  # ASCII digits only: int() also reads "٣" and "+3"
_LARGEST_POSITION = 2**63 - 1  # stores keep positions in signed 64-bit integers
# An instant as stores keep it (domain/time.py format_instant), then "|" and a record id.
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"
                     r"\|[A-Za-z0-9_-]{1,64}")


def refusal(field: str = "cursor") -> InvalidInput:
    return InvalidInput(f"{field} is not a cursor this API returned", field, "invalid_cursor")


def encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str, field: str = "cursor") -> str:
    """The text `encode` made the cursor from; refused when it is not base64 of UTF-8 text."""
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise refusal(field) from None


def write(kind: str, value: str) -> str:
    return encode(f"{kind}:{value}")


def read(cursor: str, kind: str, field: str = "cursor",
         valid: Callable[[str], bool] = lambda value: True) -> str:
    """The value of a cursor of this kind; refused for another kind or a value not `valid`."""
    try:
        text = decode(cursor, field)
    except InvalidInput:
        text = ""
    found_kind, colon, value = text.partition(":")
    if not colon or found_kind != kind or not valid(value):
        raise refusal(field)
    return value


# -- the shapes lists resume after ------------------------------------------------------------
def write_after_id(last_id: str) -> str:
    """After a record id, in a list ordered by id."""
    return write("after-id", last_id)


def read_after_id(cursor: str, field: str = "cursor") -> str:
    return read(cursor, "after-id", field, is_resource_id)


def write_position(kind: str, position: int) -> str:
    """At a stored integer position (a sequence number, an item version)."""
    return write(kind, str(position))


def read_position(cursor: str, kind: str, field: str = "cursor") -> int:
    return int(read(cursor, kind, field, _is_position))


def write_moment(kind: str, instant: str, record_id: str) -> str:
    """At a stored instant (format_instant text) and, among records of that instant, an id."""
    return write(kind, f"{instant}|{record_id}")


def read_moment(cursor: str, kind: str, field: str = "cursor") -> tuple[str, str]:
    instant, _, record_id = read(cursor, kind, field, is_moment).partition("|")
    return instant, record_id


def write_effective(kind: str, instant: str, position: int) -> str:
    """At an instant and, among entries of that instant, a recording position (a ledger's
    effective order)."""
    return write_moment(kind, instant, str(position))


def read_effective(cursor: str, kind: str, field: str = "cursor") -> tuple[str, int]:
    instant, position = read_moment(cursor, kind, field)
    if not _is_position(position):
        raise refusal(field)
    return instant, int(position)


def is_moment(value: str) -> bool:
    return _MOMENT.fullmatch(value) is not None


def _is_position(value: str) -> bool:
    return _POSITION.fullmatch(value) is not None and int(value) <= _LARGEST_POSITION
