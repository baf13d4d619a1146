"""GET /api/v1/inventory/{item_id}/changes: an item's ledger, newest first, by cursor."""
import functions_framework

from inventory.domain.commands import ListChanges
from inventory.http import render
from inventory.http.routes import Routes
from inventory.http.views import ChangeView
from inventory.service import items

routes = Routes("list_inventory_changes")


@routes.operation(summary="An item's ledger, newest first",
                  query=ListChanges, response="ChangePage")
def list_changes(call):
    query = call.query(ListChanges)
    changes = items.list_changes(call.services, call.actor, call.path["item_id"], query)
    return render.cursor_slice(ChangeView, changes, query.limit)


@functions_framework.http
def list_inventory_changes(request):
    return routes.dispatch(request)
