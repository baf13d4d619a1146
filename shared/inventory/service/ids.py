"""Identifiers that sort by creation time (a millisecond timestamp, then randomness), with a type prefix."""
from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_RANDOM_MASK = (1 << 80) - 1
_lock = threading.Lock()
_last = (0, 0)


# Two digits (10 bits) at a time from a table: an id's 130 bits are 13 look-ups.
_PAIRS = [_ALPHABET[i >> 5] + _ALPHABET[i & 31] for i in range(1024)]
_ID_SHIFTS = tuple(range(120, -1, -10))


def _base32(number: int) -> str:
    """The low 130 bits of `number` as 26 Crockford base32 digits."""
    return "".join([_PAIRS[(number >> shift) & 1023] for shift in _ID_SHIFTS])


def new_id(prefix: str) -> str:
    """`itm_01jd…`: 10 characters of milliseconds, 16 of randomness, monotonic within a process."""
    global _last
    with _lock:
        millis = time.time_ns() // 1_000_000
        last_millis, last_random = _last
        if millis <= last_millis:
            millis, random_part = last_millis, last_random + 1
        else:
            random_part = int.from_bytes(os.urandom(10), "big") >> 1
        _last = (millis, random_part)
    return f"{prefix}_{_base32((millis << 80) | (random_part & _RANDOM_MASK))}"
