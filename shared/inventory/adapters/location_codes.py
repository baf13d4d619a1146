"""One location per code in an organization, as every store's transaction keeps it: a location
saved with a code takes it only after the transaction read who holds it (find_location_by_code),
so a concurrent save of the same code is kept out where the store locks on that read."""
from __future__ import annotations

from ..domain.errors import Conflict
from ..domain.models import Location
from ..service.ports import LocationCodeNotRead

CodeKey = tuple[str, str]  # organization, code


def duplicate_code(code: str) -> Conflict:
    return Conflict(f"another location already has the code {code!r}", "code",
                    "duplicate_location_code")


class CodeBook:
    """The codes one transaction read (and which location held each) and the codes of the
    locations it read."""

    def __init__(self) -> None:
        self._holders: dict[CodeKey, str | None] = {}
        self._codes: dict[tuple[str, str], str | None] = {}

    def read_code(self, organization_id: str, code: str, holder: str | None) -> None:
        self._holders[(organization_id, code)] = holder

    def read_location(self, location: Location) -> None:
        self._codes[(location.organization_id, location.id)] = location.code

    def save(self, location: Location) -> tuple[str | None, str | None]:
        """(the code the location takes, the code it leaves), either None; refuses a code this
        transaction did not read (LocationCodeNotRead) or that another location holds (Conflict
        `duplicate_location_code`)."""
        org, key = location.organization_id, (location.organization_id, location.id)
        old, new = self._codes.get(key), location.code
        self._codes[key] = new
        if new == old:
            return None, None
        if new is not None:
            if (org, new) not in self._holders:
                raise LocationCodeNotRead(f"location {location.id} was saved with the code {new!r} "
                                          "without the code read in the transaction "
                                          "(find_location_by_code)")
            holder = self._holders[(org, new)]
            if holder is not None and holder != location.id:
                raise duplicate_code(new)
            self._holders[(org, new)] = location.id
        if old is not None:
            self._holders[(org, old)] = None
        return new, old
