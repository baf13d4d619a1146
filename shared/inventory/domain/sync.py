"""POS sync: a location's connection to its point of sale, the rows it sends, and sync runs."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .codes import RoomType, Unit
from .models import Event, Record
from .numbers import Money, Quantity
from .time import Instant

SYNC_COMPLETED = "inventory.sync.completed"


class ConnectorKind(str, Enum):
    FILE = "file"
    HTTP = "http"
    S3 = "s3"


class SyncType(str, Enum):
    FULL = "full"
    INCREMENTAL = "incremental"


class SyncStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PosConnection(Record):
    """How to reach a location's POS. `secret` (a token or key) is write-only: never shown."""

    organization_id: str
    location_id: str
    kind: ConnectorKind
    settings: dict[str, str]
    secret: str | None = None
    archive_missing: bool = False  # a full sync zeroes items the POS no longer lists
    updated_at: Instant


class PosRow(BaseModel):
    """One row of a POS export, validated before it can touch an item."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)
    row: int = 0  # its 1-based number in the export, so a refusal points at it; 0: not from the POS
    sku: Annotated[str, Field(min_length=1, max_length=100)]
    room_type: RoomType = RoomType.SALES_FLOOR
    quantity: Annotated[Quantity, Field(ge=0)]
    product_id: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    product_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    category: Annotated[str, Field(max_length=100)] | None = None
    unit: Unit = Unit.EACH
    unit_cost: Annotated[Money, Field(ge=0)] | None = None
    unit_price: Annotated[Money, Field(ge=0)] | None = None
    # When the POS last set this quantity: it dates the count (domain.ledger.pos_count_instant).
    updated_at: Instant | None = None


class RowError(BaseModel):
    """A POS row refused: which row, the field at fault, a machine-readable code and a message.
    It touched no item."""

    model_config = ConfigDict(defer_build=True)
    row: int
    sku: str | None = None
    field: str
    code: str | None = None  # None only in runs recorded before refusals carried a code
    message: str


def parse_row(number: int, raw: dict[str, Any]) -> PosRow | RowError:
    """A POS row as typed data, or the reason it was refused (CSV text numbers are read exactly)."""
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in raw.items() if k}
    values = {k: v for k, v in values.items() if v not in ("", None)}
    for name in ("quantity", "unit_cost", "unit_price"):
        if isinstance(values.get(name), str):
            try:
                values[name] = Decimal(values[name])
            except ArithmeticError:
                return RowError(row=number, sku=values.get("sku"), field=name,
                                code="invalid_number", message=f"{name} is not a number")
    if isinstance(values.get("quantity"), float) or isinstance(values.get("quantity"), bool):
        return RowError(row=number, sku=values.get("sku"), field="quantity",
                        code="invalid_number", message="not a number")
    values["row"] = number  # ours, not a column of the export
    try:
        return PosRow.model_validate(values)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "row"
        return RowError(row=number, sku=str(values.get("sku")) if values.get("sku") else None,
                        field=field, code=first["type"],
                        message=first["msg"].removeprefix("Value error, "))


class SyncSummary(BaseModel):
    model_config = ConfigDict(defer_build=True)
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: list[str] = Field(default_factory=list)  # skus at the location the POS did not list
    errors: list[RowError] = Field(default_factory=list)


class SyncRun(Record):
    id: str
    organization_id: str
    location_id: str
    sync_type: SyncType
    status: SyncStatus
    summary: SyncSummary = Field(default_factory=SyncSummary)
    error: str | None = None
    watermark: str | None = None  # what the next incremental sync asks for changes since
    created_at: Instant
    started_at: Instant | None = None
    finished_at: Instant | None = None
    # While running: its worker renews this as it works; once it has passed, the worker is lost.
    lease_until: Instant | None = None

    @property
    def active(self) -> bool:
        return self.status in (SyncStatus.QUEUED, SyncStatus.RUNNING)

    def lost(self, now: datetime, lease: timedelta) -> bool:
        """Running, but its worker has not renewed the lease in time (a run from before leases
        counts as leased from its start)."""
        if self.status is not SyncStatus.RUNNING:
            return False
        until = self.lease_until or (self.started_at or self.created_at) + lease
        return until <= now


WORKER_LOST = "worker lost"  # a run failed because its lease ran out


def completed_event(run: SyncRun, event_id: str, now: datetime) -> Event:
    """`inventory.sync.completed`, announcing a finished run (succeeded, failed or lost)."""
    return Event(id=event_id, organization_id=run.organization_id, type=SYNC_COMPLETED,
                 subject_id=run.location_id, occurred_at=now,
                 data={"sync": run.model_dump(exclude={"organization_id"})})
