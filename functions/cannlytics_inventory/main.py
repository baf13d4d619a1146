"""/api/inventory?organization_id=…: Cannlytics' inventory endpoint (GET, POST, DELETE).

A dialect: it answers in Cannlytics' shapes (`{"success", "data"}`, `{"success": false,
"message"}`) through its own dispatch (inventory.cannlytics.handler), and stays out of the native
OpenAPI document. Each operation returns the `data` of its answer.
"""
import functions_framework

from inventory.cannlytics import handler, inventory
from inventory.cannlytics.translate import parse_item_id, parse_post
from inventory.http.routes import Routes

dialect = "cannlytics"
routes = Routes("cannlytics_inventory")


@routes.operation(summary="Cannlytics: every active item in their 27 fields")
def cannlytics_list(call):
    return inventory.list_all(call.services, call.actor)


@routes.operation(summary="Cannlytics: one item by its item_id")
def cannlytics_get(call):
    return inventory.get(call.services, call.actor, call.path["item_id"])


@routes.operation(summary="Cannlytics: create an item, or update only the fields posted")
def cannlytics_post(call):
    return inventory.post(call.services, call.actor, parse_post(call.json))


@routes.operation(summary="Cannlytics: delete (archive) the empty item named in the body")
def cannlytics_delete(call):
    inventory.archive(call.services, call.actor, parse_item_id(call.json))
    return []


@routes.operation(summary="Cannlytics: delete (archive) the empty item named in the path")
def cannlytics_delete_by_path(call):
    # Their axios example names the item in the path, with a body of its own that is not read.
    inventory.archive(call.services, call.actor, call.path["item_id"])
    return []


@functions_framework.http
def cannlytics_inventory(request):
    return handler.dispatch(routes, request)
