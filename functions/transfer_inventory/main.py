"""POST /api/v1/inventory/transfers: move stock to another room or location in one call."""
import functions_framework

from inventory.domain.commands import Transfer
from inventory.http import render, replies
from inventory.http.routes import Routes
from inventory.service import transfers

routes = Routes("transfer_inventory")


@routes.operation(summary="Move stock to another room or location",
                  body=Transfer, response="TransferDocument", status=201)
def transfer(call):
    command = call.body(Transfer)
    return render.outcome(transfers.transfer(call.services, call.actor, command,
                                             call.write(replies.transferred)))


@functions_framework.http
def transfer_inventory(request):
    return routes.dispatch(request)
