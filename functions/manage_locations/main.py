"""GET and POST /api/v1/locations: the organization's locations and their time zones."""
import functions_framework

from inventory.domain.commands import CreateLocation, ListLocations
from inventory.http import render
from inventory.http.routes import Routes
from inventory.service import locations

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


@functions_framework.http
def manage_locations(request):
    return routes.dispatch(request)
