"""/api/v1/locations: the organization's locations, their time zones, the room their Square counts
live in, and their POS connections."""
import functions_framework

from inventory.domain.commands import CreateLocation, ListLocations, SetPosConnection, UpdateLocation
from inventory.http import render, replies
from inventory.http.routes import Routes
from inventory.http.views import LocationView, PosConnectionView
from inventory.service import locations, sync

routes = Routes("manage_locations")


@routes.operation(summary="List locations", query=ListLocations,
                  response="LocationList")
def list_locations(call):
    found = locations.list_locations(call.services, call.actor, call.query(ListLocations))
    return render.listing(LocationView, found)


@routes.operation(summary="Create a location in a time zone", body=CreateLocation,
                  response="LocationDocument", status=201)
def create_location(call):
    command = call.body(CreateLocation)
    return render.outcome(locations.create_location(call.services, call.actor, command,
                                                    call.write(replies.location)))


@routes.operation(summary="Change a location's settings (the room its Square counts live in)",
                  body=UpdateLocation, response="LocationDocument")
def update_location(call):
    command = call.body(UpdateLocation)
    return render.outcome(locations.update_location(call.services, call.actor, call.path["location_id"],
                                                    command, call.write(replies.location)))


@routes.operation(summary="Set a location's POS connection",
                  body=SetPosConnection, response="PosConnectionDocument")
def set_pos_connection(call):
    command = call.body(SetPosConnection)
    return render.outcome(sync.set_connection(call.services, call.actor, call.path["location_id"],
                                              command, call.write(replies.pos_connection)))


@routes.operation(summary="Get a location's POS connection",
                  response="PosConnectionDocument")
def get_pos_connection(call):
    return render.one(PosConnectionView,
                      sync.get_connection(call.services, call.actor, call.path["location_id"]))


@functions_framework.http
def manage_locations(request):
    return routes.dispatch(request)
