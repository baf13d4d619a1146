"""POST /api/v1/inventory/bulk-update: up to 500 changes, all applied or none."""
import functions_framework

from inventory.domain.commands import BulkUpdate
from inventory.http import render, replies
from inventory.http.routes import Routes
from inventory.service import items

routes = Routes("bulk_update_inventory")


@routes.operation(summary="Apply up to 500 changes atomically",
                  body=BulkUpdate, response="BulkUpdated")
def bulk_update(call):
    command = call.body(BulkUpdate)
    return render.outcome(items.bulk_update(call.services, call.actor, command,
                                            call.write(replies.bulk_applied)))


@functions_framework.http
def bulk_update_inventory(request):
    return routes.dispatch(request)
