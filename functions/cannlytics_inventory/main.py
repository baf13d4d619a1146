"""/api/inventory?organization_id=…: Cannlytics' inventory endpoint (GET, POST, DELETE).

A dialect: it answers in Cannlytics' shapes (`{"success", "data"}`, `{"success": false,
"message"}`) through its own dispatch (inventory.cannlytics.handler), and stays out of the native
OpenAPI document. Each operation returns the `data` of its answer, or a write's Outcome (its reply,
kept for a retry with the same Idempotency-Key).
"""
import functions_framework

from inventory.cannlytics import handler, inventory
from inventory.cannlytics.listing import parse_query
from inventory.cannlytics.translate import parse_item_id, parse_post
from inventory.http.routes import Routes

dialect = "cannlytics"
routes = Routes("cannlytics_inventory")


@routes.operation(summary="Cannlytics: active items in their 27 fields (limit, order_by, desc)")
def cannlytics_list(call):
    return inventory.list_all(call.services, call.actor, parse_query(call.request.args))


@routes.operation(summary="Cannlytics: one item by its item_id")
def cannlytics_get(call):
    return inventory.get(call.services, call.actor, call.path["item_id"])


@routes.operation(summary="Cannlytics: create an item, or update only the fields posted")
def cannlytics_post(call):
    return inventory.post(call.services, call.actor, parse_post(call.json), call.write)


@routes.operation(summary="Cannlytics: delete (archive) the empty item named in the body")
def cannlytics_delete(call):
    item_id = parse_item_id(call.json)
    return inventory.archive(call.services, call.actor, item_id, call.write(lambda _: []))


@routes.operation(summary="Cannlytics: delete (archive) the empty item named in the path")
def cannlytics_delete_by_path(call):
    # Their axios example names the item in the path, with a body of its own that is not read
    # (an Idempotency-Key's fingerprint takes it in, as it takes in any body).
    return inventory.archive(call.services, call.actor, call.path["item_id"],
                             call.write(lambda _: []))


@functions_framework.http
def cannlytics_inventory(request):
    return handler.dispatch(routes, request)
