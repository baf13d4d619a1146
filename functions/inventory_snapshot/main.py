"""GET /api/v1/inventory/snapshot: a location's stock at the end of a local day, or at an instant."""
import functions_framework

from inventory.domain.snapshot import SnapshotQuery
from inventory.http import render
from inventory.http.routes import Routes
from inventory.http.views import show_snapshot
from inventory.service import snapshot

routes = Routes("inventory_snapshot")


@routes.operation(query=SnapshotQuery, response="SnapshotPage",
                  summary="A location's stock at the end of a local day or at an instant")
def take_snapshot(call):
    query = call.query(SnapshotQuery)
    result = snapshot.snapshot(call.services, call.actor, query)
    return render.json_response({"data": show_snapshot(result),
                                 "pagination": render.cursor_pagination(result.next_cursor,
                                                                         query.limit)})


@functions_framework.http
def inventory_snapshot(request):
    return routes.dispatch(request)
