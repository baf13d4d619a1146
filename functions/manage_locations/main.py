"""/api/v1/locations: the organization's locations, their time zones and their POS connections."""
import functions_framework

from inventory.domain.commands import CreateLocation, ListLocations, SetPosConnection
from inventory.http import render
from inventory.http.routes import Routes
from inventory.service import locations, sync

routes = Routes("manage_locations")


@routes.get("/api/v1/locations")
def list_locations(call):
    found = locations.list_locations(call.services, call.actor, call.query(ListLocations))
    return render.listing(found, exclude={"organization_id"})


@routes.post("/api/v1/locations")
def create_location(call):
    command = call.body(CreateLocation)
    return render.outcome(locations.create_location(call.services, call.actor, command,
                                                    call.idempotency))


@routes.put("/api/v1/locations/{location_id}/pos-connection")
def set_pos_connection(call):
    command = call.body(SetPosConnection)
    return render.outcome(sync.set_connection(call.services, call.actor, call.path["location_id"],
                                              command, call.idempotency))


@routes.get("/api/v1/locations/{location_id}/pos-connection")
def get_pos_connection(call):
    return render.json_response({"data": sync.get_connection(call.services, call.actor,
                                                             call.path["location_id"])})


@functions_framework.http
def manage_locations(request):
    return routes.dispatch(request)
