"""Square's request bodies as Square's SDKs send them (46.x and the legacy 41.x), validated."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_CHANGES = 100  # Square's own limit per batch-create call
State = Annotated[str, Field(min_length=1, max_length=40)]
Id = Annotated[str, Field(min_length=1, max_length=100)]


class SquareBody(BaseModel):
    # Square's objects carry many optional fields this ledger does not keep (prices, vendors…):
    # they are accepted and ignored, as an unknown field is by Square's own API.
    model_config = ConfigDict(extra="ignore", frozen=True)


class SourceApplication(SquareBody):
    product: Annotated[str, Field(max_length=40)] | None = None
    application_id: Annotated[str, Field(max_length=100)] | None = None
    name: Annotated[str, Field(max_length=200)] | None = None


class ChangeFields(SquareBody):
    """What Square's adjustments, counts and transfers have in common."""

    id: str | None = None
    reference_id: Annotated[str, Field(max_length=255)] | None = None
    catalog_object_id: Id
    catalog_object_type: str | None = None
    quantity: Annotated[str, Field(min_length=1, max_length=40)]
    occurred_at: Annotated[str, Field(min_length=1, max_length=40)]
    employee_id: Id | None = None        # the legacy SDK's name for team_member_id
    team_member_id: Id | None = None
    source: SourceApplication | None = None


class Adjustment(ChangeFields):
    from_state: State
    to_state: State
    location_id: Id | None = None          # the legacy SDK's field
    from_location_id: Id | None = None     # 46.x
    to_location_id: Id | None = None       # 46.x


class PhysicalCount(ChangeFields):
    state: State
    location_id: Id


class Transfer(ChangeFields):
    state: State
    from_location_id: Id
    to_location_id: Id


class Change(SquareBody):
    type: Literal["PHYSICAL_COUNT", "ADJUSTMENT", "TRANSFER"]
    physical_count: PhysicalCount | None = None
    adjustment: Adjustment | None = None
    transfer: Transfer | None = None


class BatchChange(SquareBody):
    idempotency_key: Annotated[str, Field(min_length=1, max_length=128)]
    changes: Annotated[list[Change], Field(min_length=1, max_length=MAX_CHANGES)]
    ignore_unchanged_counts: bool | None = None


class BatchRetrieveCounts(SquareBody):
    catalog_object_ids: Annotated[list[Id], Field(max_length=1000)] | None = None
    location_ids: Annotated[list[Id], Field(max_length=1000)] | None = None
    updated_after: Annotated[str, Field(max_length=40)] | None = None
    cursor: Annotated[str, Field(max_length=500)] | None = None
    states: Annotated[list[State], Field(max_length=20)] | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] | None = None


class BatchRetrieveChanges(SquareBody):
    catalog_object_ids: Annotated[list[Id], Field(max_length=1000)] | None = None
    location_ids: Annotated[list[Id], Field(max_length=1000)] | None = None
    types: Annotated[list[Literal["PHYSICAL_COUNT", "ADJUSTMENT", "TRANSFER"]], Field(max_length=3)] | None = None
    states: Annotated[list[State], Field(max_length=20)] | None = None
    updated_after: Annotated[str, Field(max_length=40)] | None = None
    updated_before: Annotated[str, Field(max_length=40)] | None = None
    cursor: Annotated[str, Field(max_length=500)] | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] | None = None
