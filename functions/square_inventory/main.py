"""Square's Inventory API v2 under /v2/inventory, for apps written with Square's SDKs (the older
paths are the aliases the legacy SDK calls)."""
import functions_framework

from inventory.domain.codes import Scope
from inventory.http.routes import Routes
from inventory.square import inventory
from inventory.square.answers import SQUARE, square_route

# Every refusal, the missing key's too, comes in Square's shape and statuses (the SQUARE dialect).
routes = Routes("square_inventory", dialect=SQUARE)
WRITE = dict(scope=Scope.INVENTORY_WRITE)
READ = dict(scope=Scope.INVENTORY_READ)


@routes.operation(summary="Square: apply changes atomically", **WRITE)
@square_route
def batch_create_changes(call):
    return inventory.batch_change(call)


@routes.operation(summary="Square (legacy path): apply changes atomically", **WRITE)
@square_route
def batch_change_inventory(call):
    return inventory.batch_change(call)


@routes.operation(summary="Square: counts, newest first", **READ)
@square_route
def batch_get_counts(call):
    return inventory.batch_retrieve_counts(call)


@routes.operation(summary="Square (legacy path): counts", **READ)
@square_route
def batch_retrieve_inventory_counts(call):
    return inventory.batch_retrieve_counts(call)


@routes.operation(summary="Square: changes, oldest first", **READ)
@square_route
def batch_get_changes(call):
    return inventory.batch_retrieve_changes(call)


@routes.operation(summary="Square (legacy path): changes", **READ)
@square_route
def batch_retrieve_inventory_changes(call):
    return inventory.batch_retrieve_changes(call)


@routes.operation(summary="Square: one adjustment", **READ)
@square_route
def get_adjustment(call):
    return inventory.retrieve_adjustment(call)


@routes.operation(summary="Square (legacy path): one adjustment",
            **READ)
@square_route
def retrieve_inventory_adjustment(call):
    return inventory.retrieve_adjustment(call)


@routes.operation(summary="Square: one physical count",
            **READ)
@square_route
def get_physical_count(call):
    return inventory.retrieve_physical_count(call)


@routes.operation(summary="Square (legacy path): one physical count", **READ)
@square_route
def retrieve_inventory_physical_count(call):
    return inventory.retrieve_physical_count(call)


@routes.operation(summary="Square: one transfer between locations", **READ)
@square_route
def retrieve_inventory_transfer(call):
    return inventory.retrieve_transfer(call)


@routes.operation(summary="Square: one catalog object's changes",
            **READ)
@square_route
def retrieve_inventory_changes(call):
    return inventory.object_changes(call)


@routes.operation(summary="Square: one catalog object's counts", **READ)
@square_route
def retrieve_inventory_count(call):
    return inventory.object_counts(call)


@functions_framework.http
def square_inventory(request):
    return routes.dispatch(request)
