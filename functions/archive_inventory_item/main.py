"""DELETE /api/v1/inventory/{item_id}: archive an empty item; its ledger stays."""
import functions_framework

from inventory.http import render, replies
from inventory.http.routes import Routes
from inventory.service import items

routes = Routes("archive_inventory_item")


@routes.operation(summary="Archive an item whose quantity is zero",
                  response="ItemDocument")
def archive_item(call):
    return render.outcome(items.archive_item(call.services, call.actor, call.path["item_id"],
                                             call.write(replies.item)))


@functions_framework.http
def archive_inventory_item(request):
    return routes.dispatch(request)
