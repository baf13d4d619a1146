"""The row Datawiz uploaders post, validated by one pydantic model that also writes the OPTIONS
metadata; validation errors in Django REST Framework's shape ({"qty": ["This field is required."]})."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..domain.commands import MAX_BULK_UPDATES
from ..domain.numbers import QUANTITY_PLACES

FOUR_PLACES = Decimal("0.0001")
CENTS = Decimal("0.01")
# Django REST Framework's messages for what pydantic reports, by pydantic error type.
MESSAGES = {
    "missing": "This field is required.",
    "decimal_parsing": "A valid number is required.",
    "decimal_type": "A valid number is required.",
    "finite_number": "A valid number is required.",
    "decimal_max_places": "Ensure that there are no more than {decimal_places} decimal places.",
    "decimal_max_digits": "Ensure that there are no more than {max_digits} digits in total.",
    "date_from_datetime_parsing": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    "date_parsing": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    "date_type": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    "date_from_datetime_inexact": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
    "string_type": "Not a valid string.",
    "string_too_short": "This field may not be blank.",
    "string_too_long": "Ensure this field has no more than {max_length} characters.",
    "string_pattern_mismatch": "This field may not contain control characters.",
    "greater_than_equal": "Ensure this value is greater than or equal to {ge}.",
}
Identifier = Annotated[str, Field(min_length=1, pattern=r"^[^\x00-\x1f]+$")]


class InventoryRow(BaseModel):
    """One dated stock row: the count of a product at a shop at the end of `date`."""

    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    date: dt.date = Field(title="Date")
    shop_id: Annotated[Identifier, Field(max_length=50)] = Field(title="Shop id")
    product_id: Annotated[Identifier, Field(max_length=100)] = Field(title="Product id")
    qty: Decimal = Field(title="Qty", ge=0, max_digits=16, decimal_places=QUANTITY_PLACES)
    original_price: Decimal | None = Field(None, title="Original price", ge=0, max_digits=16,
                                           decimal_places=4)
    stock_total_price: Decimal | None = Field(None, title="Stock total price", ge=0,
                                              max_digits=18, decimal_places=4)

    @model_validator(mode="after")
    def _total_agrees(self) -> "InventoryRow":
        # Ours to compute (qty × original_price); a posted 0 or nothing is accepted, as their own
        # example posts "0.00"; a non-zero total must be that product, to the cent or exactly.
        posted = self.stock_total_price
        if not posted:
            return self
        if self.original_price is None:
            if self.qty == 0:
                raise ValueError("stock_total_price|A non-zero stock_total_price needs a non-zero qty.")
            return self
        exact = self.qty * self.original_price
        if posted not in (exact, exact.quantize(CENTS, ROUND_HALF_UP)):
            raise ValueError(f"stock_total_price|Must be qty × original_price "
                             f"({exact.quantize(CENTS, ROUND_HALF_UP)}), or 0 to let us compute it.")
        return self

    @property
    def unit_price(self) -> Decimal | None:
        """original_price, or the posted total over qty when only the total was sent."""
        if self.original_price is not None:
            return self.original_price
        if self.stock_total_price and self.qty:
            return (self.stock_total_price / self.qty).quantize(FOUR_PLACES, ROUND_HALF_UP)
        return None


class RowsRefused(Exception):
    """400 in their shape: a dict of field errors for one row, a list of them for a list."""

    def __init__(self, detail: dict[str, list[str]] | list[dict[str, list[str]]]):
        super().__init__(detail)
        self.detail = detail


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        field = location[0] if location else "non_field_errors"
        message = MESSAGES.get(problem["type"], problem["msg"]).format(**(problem.get("ctx") or {}))
        if problem["type"] == "value_error":
            raw = str(problem["ctx"]["error"])
            field, _, message = raw.partition("|") if "|" in raw else ("non_field_errors", "", raw)
        found.setdefault(field, []).append(message)
    return found


def parse_rows(body: Any) -> tuple[list[InventoryRow], bool]:
    """The posted row or list of rows, and whether a list was posted; RowsRefused otherwise."""
    many = isinstance(body, list)
    if not many and not isinstance(body, dict):
        raise RowsRefused({"non_field_errors": [
            f"Invalid data. Expected a dictionary, but got {type(body).__name__}."]})
    if many and not body:
        raise RowsRefused({"non_field_errors": ["This list may not be empty."]})
    if many and len(body) > MAX_BULK_UPDATES:  # one atomic bulk change counts them all
        raise RowsRefused({"non_field_errors": [
            f"Ensure this list has no more than {MAX_BULK_UPDATES} rows; post the rest after."]})
    rows, problems = [], []
    for one in body if many else [body]:
        if not isinstance(one, dict):
            problems.append({"non_field_errors": [
                f"Invalid data. Expected a dictionary, but got {type(one).__name__}."]})
            continue
        try:
            rows.append(InventoryRow.model_validate(one))
            problems.append({})
        except ValidationError as error:
            problems.append(field_errors(error))
    if any(problems):
        raise RowsRefused(problems if many else problems[0])
    return rows, many


def metadata(name: str, description: str) -> dict[str, Any]:
    """Django REST Framework's OPTIONS document (SimpleMetadata), from the model POST validates with."""
    schema = InventoryRow.model_json_schema()
    required = set(schema.get("required", []))
    fields: dict[str, Any] = {}
    for field, info in InventoryRow.model_fields.items():
        described = schema["properties"][field]
        kinds = [described] + described.get("anyOf", [])
        kind = "string"
        for option in kinds:
            if option.get("format") == "date":
                kind = "date"
        if field in ("qty", "original_price", "stock_total_price"):
            kind = "decimal"
        entry: dict[str, Any] = {"type": kind, "required": field in required, "read_only": False,
                                 "label": info.title}
        for option in kinds:
            if "maxLength" in option:
                entry["max_length"] = option["maxLength"]
        if kind == "decimal":
            for constraint in info.metadata:
                for limit in ("max_digits", "decimal_places"):
                    if getattr(constraint, limit, None) is not None:
                        entry[limit] = getattr(constraint, limit)
        fields[field] = entry
    return {"name": name, "description": description,
            "renders": ["application/json", "text/html"],
            "parses": ["application/json", "application/x-www-form-urlencoded"],
            "actions": {"POST": fields}}
