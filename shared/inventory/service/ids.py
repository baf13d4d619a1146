"""Identifiers that sort by creation time (a millisecond timestamp, then randomness), with a type prefix."""
from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_lock = threading.Lock()
_last = (0, 0)


def _base32(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


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
    return f"{prefix}_{_base32(millis, 10)}{_base32(random_part, 16)}"
