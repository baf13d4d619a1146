"""Closed vocabularies: reason codes, room types, units, scopes, sources."""
from __future__ import annotations

from enum import Enum


class ReasonCode(str, Enum):
    SALE = "SALE"
    RETURN = "RETURN"
    ADJUSTMENT = "ADJUSTMENT"
    DAMAGE = "DAMAGE"
    THEFT = "THEFT"
    TRANSFER = "TRANSFER"
    AUDIT = "AUDIT"


class RoomType(str, Enum):
    SALES_FLOOR = "sales_floor"
    VAULT = "vault"
    QUARANTINE = "quarantine"
    SECRET_MENU = "secret_menu"


class Unit(str, Enum):
    EACH = "each"
    GRAM = "g"
    MILLIGRAM = "mg"
    KILOGRAM = "kg"
    OUNCE = "oz"
    POUND = "lb"
    MILLILITRE = "ml"


class Scope(str, Enum):
    INVENTORY_READ = "inventory:read"
    INVENTORY_WRITE = "inventory:write"
    WEBHOOKS_MANAGE = "webhooks:manage"


class ChangeSource(str, Enum):
    API = "api"
    BULK = "bulk"
    TRANSFER = "transfer"
    CREATE = "create"
    POS_SYNC = "pos_sync"


# The sign a change must have for each reason; None means either sign.
REQUIRED_SIGN: dict[ReasonCode, int | None] = {
    ReasonCode.SALE: -1,
    ReasonCode.RETURN: 1,
    ReasonCode.DAMAGE: -1,
    ReasonCode.THEFT: -1,
    ReasonCode.ADJUSTMENT: None,
    ReasonCode.TRANSFER: None,
    ReasonCode.AUDIT: None,
}
