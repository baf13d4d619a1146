"""PATCH /api/v1/inventory/{item_id}: adjust with a reason code, record a count, or edit attributes."""
import functions_framework

from inventory.domain.commands import UpdateItem
from inventory.http import render, replies
from inventory.http.routes import Routes
from inventory.service import items

routes = Routes("update_inventory")


@routes.operation(summary="Adjust with a reason, record a count, or edit attributes",
                  body=UpdateItem, response="ItemUpdated")
def update_item(call):
    command = call.body(UpdateItem)
    return render.outcome(items.update_item(call.services, call.actor, call.path["item_id"],
                                            command, call.if_match(),
                                            call.write(replies.item_changed)))


@functions_framework.http
def update_inventory(request):
    return routes.dispatch(request)
