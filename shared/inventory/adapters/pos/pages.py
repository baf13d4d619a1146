"""A page of POS rows and the watermark to resume from after it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

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
