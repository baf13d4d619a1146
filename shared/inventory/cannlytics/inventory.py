"""What each Cannlytics request asks of our use cases: find by item_id, create or update, list, archive.

Translation only: every rule (counts through the ledger, archiving only an empty item) is the
service's.
"""
from __future__ import annotations

from typing import Any, Callable

from pydantic import ValidationError

from ..domain.codes import ReasonCode
from ..domain.commands import CreateItem, ListInventory, ListLocations, UpdateItem
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.models import InventoryItem
from ..http.errors import from_validation
from ..service import items
from ..service.auth import Actor
from ..service.locations import list_locations
from ..service.ports import Services
from ..service.results import ItemChanged, ItemCreated
from ..service.unit_of_work import Idempotency, Outcome, Reply, replay_first
from .listing import ListQuery, ordered
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


def list_all(services: Services, actor: Actor, query: ListQuery) -> list[dict[str, str]]:
    """Active items as their GET lists them: oldest first, or by `order_by` (every active item is
    read to sort them; without it only the first `limit` are), at most `limit`."""
    found, cursor = [], None
    while query.order_by is not None or len(found) < query.limit:
        size = PAGE if query.order_by is not None else min(PAGE, query.limit - len(found))
        page = items.list_items(services, actor, ListInventory(limit=size, cursor=cursor))
        found += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    codes = _codes(services, actor) if found else {}
    rendered = [render_item(item, codes.get(item.location_id)) for item in found]
    return ordered(rendered, query)[:query.limit]


def get(services: Services, actor: Actor, item_id: str) -> dict[str, str]:
    item = _existing(services, actor, item_id)
    return render_item(item, _codes(services, actor).get(item.location_id))


def post(services: Services, actor: Actor, post: ItemPost,
         write: Callable[[Callable[[Any], Any]], Idempotency]) -> Outcome:
    """Create the item (answering all of it) or update what was posted (answering just that), in
    one unit of work, exactly once per Idempotency-Key. `write` gives the request's Idempotency
    for the reply it is to store."""
    codes = _codes(services, actor)

    def answer(result: ItemCreated | ItemChanged) -> Any:
        if isinstance(result, ItemCreated):
            return render_item(result.item, codes.get(result.item.location_id))
        return dict(post.posted)

    idempotency = write(answer)
    first = replay_first(services, actor, idempotency)
    if first is not None:
        return first
    item = find(services, actor, post.item_id)
    if item is None:
        return _create(services, actor, post, idempotency)
    return _update(services, actor, item, post, codes, idempotency)


def archive(services: Services, actor: Actor, item_id: str, idempotency: Idempotency) -> Outcome:
    """Our archiving rule: an item with stock stays (409) until its removal is recorded."""
    first = replay_first(services, actor, idempotency)
    if first is not None:
        return first
    item = _existing(services, actor, item_id)
    return items.archive_item(services, actor, item.id, idempotency)


def _existing(services: Services, actor: Actor, item_id: str) -> InventoryItem:
    item = find(services, actor, item_id)
    if item is None:
        raise NotFound(f"no inventory item {item_id}", "item_id", "item_not_found")
    return item


def _create(services: Services, actor: Actor, post: ItemPost, idempotency: Idempotency) -> Outcome:
    """The item with its posted quantity as a physical count (AUDIT), in one transaction."""
    if post.name is None:
        raise InvalidInput("name is required to create an item", "name", "name_required")
    location_id = post.location_id or _first_location(services, actor)
    command = _validated(CreateItem, {
        "product_id": post.item_id, "sku": post.item_id, "product_name": post.name,
        "location_id": location_id, "room_type": post.room_type or DEFAULT_ROOM,
        "category": post.category, "quantity": post.quantity or 0, "notes": COUNT_NOTE,
        "attributes": {name: value for name, value in post.free_form.items() if value is not None},
        **({"unit": post.unit} if post.unit else {})})
    return items.create_item(services, actor, command, idempotency, opening=ReasonCode.AUDIT)


def _update(services: Services, actor: Actor, item: InventoryItem, post: ItemPost,
            codes: dict[str, str], idempotency: Idempotency) -> Outcome:
    here = (item.location_id, codes.get(item.location_id))
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
    if not changes:  # only item_id posted: nothing is written, and a retry gets the same answer
        return Outcome(None, Reply(200, dict(post.posted)))
    return items.update_item(services, actor, item.id, _validated(UpdateItem, changes), None,
                             idempotency)


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
