"""One active item per place, as every store's transaction keeps it (the rule is in the Transaction
port's docstring): what the transaction read tells a new item taking its place from an item
saved again, so no store guesses it from the item's version or fields."""
from __future__ import annotations

from enum import Enum

from ..domain.errors import Conflict
from ..domain.models import InventoryItem
from ..service.ports import PlaceNotRead

Place = tuple[str, str, str, str]  # organization, location, room type, SKU


class Move(Enum):
    TAKE = "take"    # a new (or unarchived) item takes its place
    LEAVE = "leave"  # an active item is archived: its place is free


def place_of(item: InventoryItem) -> Place:
    return (item.organization_id, item.location_id, item.room_type.value, item.sku)


class PlaceBook:
    """The items one transaction read or saved (active or not) and the places it read (and which
    item held each)."""

    def __init__(self) -> None:
        self._active: dict[tuple[str, str], bool] = {}
        self._holders: dict[Place, str | None] = {}

    def read_item(self, item: InventoryItem) -> None:
        self._active[(item.organization_id, item.id)] = item.archived_at is None

    def read_place(self, place: Place, holder: str | None) -> None:
        self._holders[place] = holder

    def save(self, item: InventoryItem) -> Move | None:
        """What saving `item` does to its place; refuses a new item on a place it did not read
        (PlaceNotRead) or that another item holds (Conflict, duplicate_item)."""
        key = (item.organization_id, item.id)
        was_active, is_active = self._active.get(key, False), item.archived_at is None
        place = place_of(item)
        move = None
        if is_active and not was_active:
            if place not in self._holders:
                raise PlaceNotRead(f"item {item.id} was saved new without its place "
                                   f"{place[1:]} read in the transaction (find_active_item)")
            holder = self._holders[place]
            if holder is not None and holder != item.id:
                raise Conflict(f"sku {item.sku} already has an item in that location and room",
                               "sku", "duplicate_item")
            self._holders[place], move = item.id, Move.TAKE
        elif was_active and not is_active:
            self._holders[place], move = None, Move.LEAVE
        self._active[key] = is_active
        return move
