"""Square's Inventory API v2 under /v2/inventory, for apps written with Square's SDKs."""
import functions_framework

from inventory.domain.codes import Scope
from inventory.http.routes import Routes
from inventory.square import inventory
from inventory.square.answers import square_route

routes = Routes("square_inventory")
# Authentication happens inside each handler, so that a refusal has Square's shape.
WRITE = dict(scope=Scope.INVENTORY_WRITE, public=True, errors=(401, 403))
READ = dict(scope=Scope.INVENTORY_READ, public=True, errors=(401, 403))

batch_change = square_route(inventory.batch_change)
for path in ("/v2/inventory/changes/batch-create", "/v2/inventory/batch-change"):
    routes.post(path, summary="Square: apply inventory changes atomically", **WRITE)(batch_change)

batch_counts = square_route(inventory.batch_retrieve_counts)
for path in ("/v2/inventory/counts/batch-retrieve", "/v2/inventory/batch-retrieve-counts"):
    routes.post(path, summary="Square: counts, newest first", **READ)(batch_counts)

routes.get("/v2/inventory/{catalog_object_id}", summary="Square: one catalog object's counts",
           **READ)(square_route(inventory.object_counts))


@functions_framework.http
def square_inventory(request):
    return routes.dispatch(request)
