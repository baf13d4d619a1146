"""GET /api/v1/inventory: the organization's active items, filtered and paginated."""
import functions_framework

from inventory.domain.commands import ListInventory
from inventory.http import render
from inventory.http.routes import Routes
from inventory.http.views import ItemView
from inventory.service import items

routes = Routes("list_inventory")


@routes.operation(summary="List active items, filtered and paginated",
                  query=ListInventory, response="ItemPage")
def list_items(call):
    query = call.query(ListInventory)
    return render.page(ItemView, items.list_items(call.services, call.actor, query),
                       None if query.cursor else query.page, query.limit)


@functions_framework.http
def list_inventory(request):
    return routes.dispatch(request)
