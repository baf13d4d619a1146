"""A page of POS rows and the watermark to resume from after it; how many pages and seconds a
sync may spend on one POS."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

PAGE_SIZE = 500


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]] = field(default_factory=list)
    watermark: str | None = None


def in_pages(rows: Iterable[dict[str, Any]], watermark: str | None = None,
             size: int = PAGE_SIZE) -> Iterator[Page]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield Page(batch, watermark)
            batch = []
    if batch:
        yield Page(batch, watermark)


class PosLimitExceeded(Exception):
    """A POS kept answering past what one sync may take (pages or time): the run fails with it."""


@dataclass(frozen=True)
class PosLimits:
    """How far one sync goes with a POS that keeps answering: requests (pages) and seconds."""
    max_pages: int = 10_000
    max_seconds: float = 480.0

    def budget(self, clock: Callable[[], float] = time.monotonic) -> "PosBudget":
        return PosBudget(self, clock)


class PosBudget:
    """What is left of one sync's limits; spent one request at a time."""

    def __init__(self, limits: PosLimits, clock: Callable[[], float]):
        self.limits, self._clock = limits, clock
        self._deadline = clock() + limits.max_seconds
        self.pages = 0

    def next_request(self, timeout_s: float) -> float:
        """Count a request to the POS; the timeout it may use. Raises when the limits are spent."""
        if self.pages >= self.limits.max_pages:
            raise PosLimitExceeded(f"the POS had more to send after {self.pages} pages, the limit "
                                   f"(INVENTORY_POS_MAX_PAGES); stopped")
        self.check_time()
        self.pages += 1
        return min(timeout_s, self._deadline - self._clock())

    def check_time(self) -> None:
        if self._clock() >= self._deadline:
            raise PosLimitExceeded(f"the POS was still sending after {self.limits.max_seconds:g} s, "
                                   f"the limit (INVENTORY_POS_MAX_SECONDS); stopped")
