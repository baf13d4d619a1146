"""The organization's locations as Square sees them: each named by its client's code where it has
one, each with the one room whose items are its Square stock."""
from __future__ import annotations

from ..domain.codes import RoomType
from ..domain.models import InventoryItem, Location

LOCATION_FIELDS = ("location_id", "from_location_id", "to_location_id")
SHOWN_OBJECTS = ("adjustment", "physical_count", "transfer")


class Places:
    """Read once per request from the organization's locations."""

    def __init__(self, locations: list[Location]):
        self.codes = {location.id: location.code for location in locations if location.code}
        self.rooms = {location.id: location.square_room_type for location in locations}

    def room(self, location_id: str) -> RoomType:
        """The room whose items are this location's Square stock (the sales floor by default)."""
        return self.rooms.get(location_id, RoomType.SALES_FLOOR)

    def shows(self, item: InventoryItem) -> bool:
        """Whether Square sees this item: it is in its location's Square room."""
        return item.room_type is self.room(item.location_id)

    def with_codes(self, body: dict) -> dict:
        """Square's body with each location named by its code, where it has one."""
        for record in [*body.get("counts", []), *body.get("changes", []),
                       *(body[single] for single in ("adjustment", "count", "transfer") if single in body)]:
            for shown in (record, *(record.get(name) or {} for name in SHOWN_OBJECTS)):
                for field in LOCATION_FIELDS:
                    if shown.get(field) in self.codes:
                        shown[field] = self.codes[shown[field]]
        return body
