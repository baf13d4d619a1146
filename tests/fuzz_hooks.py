"""Schemathesis hooks for the fuzz runs (loaded through SCHEMATHESIS_HOOKS=fuzz_hooks).

Each generated write gets an Idempotency-Key of its own, so that two different generated bodies
never share one (that is a correct 422, but it would hide what the body does). A key the
generator made invalid on purpose is left as it is, to test the refusal.
"""
from __future__ import annotations

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers if case.headers is not None else {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.match(key):
        headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4()}"
        case.headers = headers
