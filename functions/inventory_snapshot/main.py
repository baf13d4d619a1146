"""GET /api/v1/inventory/snapshot: a location's stock at the end of a local day, or at an instant."""
import functions_framework

from inventory.domain.snapshot import SnapshotQuery
from inventory.http import render
from inventory.http.responses import SnapshotPage
from inventory.http.routes import Routes
from inventory.service import snapshot

routes = Routes("inventory_snapshot")


@routes.get("/api/v1/inventory/snapshot", query=SnapshotQuery, response=SnapshotPage,
            summary="A location's stock at the end of a local day or at an instant")
def take_snapshot(call):
    query = call.query(SnapshotQuery)
    result = snapshot.snapshot(call.services, call.actor, query)
    return render.json_response({
        "data": result.render(),
        "pagination": {"limit": query.limit, "next_cursor": result.next_cursor,
                       "has_more": result.next_cursor is not None}})


@functions_framework.http
def inventory_snapshot(request):
    return routes.dispatch(request)
