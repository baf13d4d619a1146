"""GET /api/v1/inventory/{item_id}: one item, with its version as the ETag."""
import functions_framework

from inventory.http import render
from inventory.http.routes import Routes
from inventory.http.views import ItemView
from inventory.service import items

routes = Routes("get_inventory_item")


@routes.operation(summary="Get one item; its version is the ETag",
                  response="ItemDocument")
def get_item(call):
    return render.one(ItemView, items.get_item(call.services, call.actor, call.path["item_id"]))


@functions_framework.http
def get_inventory_item(request):
    return routes.dispatch(request)
