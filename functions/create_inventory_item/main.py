"""POST /api/v1/inventory: create an item at a location and room."""
import functions_framework

from inventory.domain.commands import CreateItem
from inventory.http import render, replies
from inventory.http.routes import Routes
from inventory.service import items

routes = Routes("create_inventory_item")


@routes.operation(summary="Create an item at a location and room",
                  body=CreateItem, response="ItemDocument", status=201)
def create_item(call):
    command = call.body(CreateItem)
    return render.outcome(items.create_item(call.services, call.actor, command,
                                            call.write(replies.item)))


@functions_framework.http
def create_inventory_item(request):
    return routes.dispatch(request)
