"""What each Cannlytics request asks of our use cases: find by item_id, create or update, list, archive.

Translation only: every rule (counts through the ledger, archiving only an empty item) is the
service's.
"""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..domain.codes import ReasonCode
from ..domain.commands import CreateItem, ListInventory, ListLocations, UpdateItem
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.models import InventoryItem
from ..http.errors import from_validation
from ..service import items
from ..service.auth import Actor
from ..service.unit_of_work import WITHOUT_KEY
from ..service.locations import list_locations
from ..service.ports import Services
from .translate import DEFAULT_ROOM, ItemPost, in_their_names, render_item

COUNT_NOTE = "count posted through the Cannlytics API"
PAGE = 200


def find(services: Services, actor: Actor, item_id: str) -> InventoryItem | None:
    """The active item whose SKU is `item_id`; two (the same SKU in two places) is ambiguous."""
    query = _validated(ListInventory, {"sku": item_id, "limit": 2})
    found = items.list_items(services, actor, query).items
    if len(found) > 1:
        raise Conflict(f"item_id {item_id} names items in more than one location and room; "
                       "manage them through /api/v1/inventory", "item_id", "ambiguous_item_id")
    return found[0] if found else None


def list_all(services: Services, actor: Actor) -> list[dict[str, str]]:
    """Every active item, oldest first, walked by cursor."""
    rendered, cursor, codes = [], None, None
    while True:
        page = items.list_items(services, actor, ListInventory(limit=PAGE, cursor=cursor))
        codes = codes or _codes(services, actor)
        rendered += [render_item(item, codes.get(item.location_id)) for item in page.items]
        if page.next_cursor is None:
            return rendered
        cursor = page.next_cursor


def get(services: Services, actor: Actor, item_id: str) -> dict[str, str]:
    item = _existing(services, actor, item_id)
    return render_item(item, _codes(services, actor).get(item.location_id))


def post(services: Services, actor: Actor, post: ItemPost) -> dict[str, Any]:
    """Create the item (answering all of it) or update what was posted (answering just that)."""
    item = find(services, actor, post.item_id)
    if item is None:
        created = _create(services, actor, post)
        return render_item(created, _codes(services, actor).get(created.location_id))
    _update(services, actor, item, post)
    return dict(post.posted)


def archive(services: Services, actor: Actor, item_id: str) -> None:
    """Our archiving rule: an item with stock stays (409) until its removal is recorded."""
    item = _existing(services, actor, item_id)
    items.archive_item(services, actor, item.id, WITHOUT_KEY)


def _existing(services: Services, actor: Actor, item_id: str) -> InventoryItem:
    item = find(services, actor, item_id)
    if item is None:
        raise NotFound(f"no inventory item {item_id}", "item_id", "item_not_found")
    return item


def _create(services: Services, actor: Actor, post: ItemPost) -> InventoryItem:
    if post.name is None:
        raise InvalidInput("name is required to create an item", "name", "name_required")
    location_id = post.location_id or _first_location(services, actor)
    command = _validated(CreateItem, {
        "product_id": post.item_id, "sku": post.item_id, "product_name": post.name,
        "location_id": location_id, "room_type": post.room_type or DEFAULT_ROOM,
        "category": post.category, "quantity": post.quantity or 0,
        "attributes": {name: value for name, value in post.free_form.items() if value is not None},
        **({"unit": post.unit} if post.unit else {})})
    count = (_validated(UpdateItem, {"quantity": post.quantity, "notes": COUNT_NOTE})
             if post.quantity is not None else None)
    # The item opens empty and the posted quantity is then recorded as a count (AUDIT), as a
    # count posted later is; both commands are validated above, so the count cannot be refused.
    empty = command.model_copy(update={"quantity": 0})
    created = items.create_item(services, actor, empty, WITHOUT_KEY).result.item.id
    if count is not None:
        items.update_item(services, actor, created, count, None, WITHOUT_KEY)
    return items.get_item(services, actor, created)


def _update(services: Services, actor: Actor, item: InventoryItem, post: ItemPost) -> None:
    here = (item.location_id, _codes(services, actor).get(item.location_id))
    if post.location_id is not None and post.location_id not in here:
        raise Conflict("an item moves between locations by a transfer "
                       "(POST /api/v1/inventory/transfers), not by a new area_id", "area_id",
                       "area_change")
    if post.room_type is not None and post.room_type is not item.room_type:
        raise Conflict("an item moves between rooms by a transfer "
                       "(POST /api/v1/inventory/transfers), not by a new area_name", "area_name",
                       "area_change")
    if post.unit is not None and post.unit is not item.unit:
        raise Conflict(f"the item is counted in {item.unit.value}; its units cannot change",
                       "units", "unit_change")
    changes: dict[str, Any] = {}
    if post.name is not None:
        changes["product_name"] = post.name
    if post.category is not None or "category_name" in post.cleared:
        changes["category"] = post.category
    if post.free_form:  # a merge patch: an empty value removes the attribute
        changes["attributes"] = dict(post.free_form)
    if post.quantity is not None:
        changes.update(quantity=post.quantity, reason_code=ReasonCode.AUDIT, notes=COUNT_NOTE)
    if changes:
        items.update_item(services, actor, item.id, _validated(UpdateItem, changes), None,
                          WITHOUT_KEY)


def _codes(services: Services, actor: Actor) -> dict[str, str]:
    """Each location id with the organization's own code for it, where it has one."""
    return {location.id: location.code for location in list_locations(services, actor, ListLocations())
            if location.code}


def _first_location(services: Services, actor: Actor) -> str:
    locations = list_locations(services, actor, ListLocations())
    if not locations:
        raise Conflict("the organization has no location yet: create one (POST /api/v1/locations) "
                       "or send area_id", "area_id", "location_required")
    return min(locations, key=lambda location: (location.created_at, location.id)).id


def _validated(model, values: dict[str, Any]):
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise in_their_names(from_validation(error)) from None
