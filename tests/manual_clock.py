"""A Clock the test moves by hand: it stands still until told, so changes can share an instant."""
from __future__ import annotations

from datetime import datetime, timedelta


class ManualClock:
    def __init__(self, start: datetime):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def set(self, instant: datetime) -> datetime:
        self.current = instant
        return instant

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current
