"""/api/v1/locations: the organization's locations, their time zones and their POS connections."""
import functions_framework

from inventory.domain.commands import CreateLocation, ListLocations, SetPosConnection
from inventory.http import render
from inventory.http.responses import LocationDocument, LocationList, PosConnectionDocument
from inventory.http.routes import Routes
from inventory.service import locations, sync

routes = Routes("manage_locations")


@routes.get("/api/v1/locations", summary="List locations", query=ListLocations,
            response=LocationList)
def list_locations(call):
    found = locations.list_locations(call.services, call.actor, call.query(ListLocations))
    return render.listing(found, exclude={"organization_id"})


@routes.post("/api/v1/locations", summary="Create a location in a time zone", body=CreateLocation,
             response=LocationDocument, status=201)
def create_location(call):
    command = call.body(CreateLocation)
    return render.outcome(locations.create_location(call.services, call.actor, command,
                                                    call.idempotency))


@routes.put("/api/v1/locations/{location_id}/pos-connection", summary="Set a location's POS connection",
            body=SetPosConnection, response=PosConnectionDocument)
def set_pos_connection(call):
    command = call.body(SetPosConnection)
    return render.outcome(sync.set_connection(call.services, call.actor, call.path["location_id"],
                                              command, call.idempotency))


@routes.get("/api/v1/locations/{location_id}/pos-connection", summary="Get a location's POS connection",
            response=PosConnectionDocument)
def get_pos_connection(call):
    return render.json_response({"data": sync.get_connection(call.services, call.actor,
                                                             call.path["location_id"])})


@functions_framework.http
def manage_locations(request):
    return routes.dispatch(request)
