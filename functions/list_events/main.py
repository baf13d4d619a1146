"""GET /api/v1/events: the organization's events in commit order, resumable with `after`."""
import functions_framework

from inventory.domain.commands import ListEvents
from inventory.http import render
from inventory.http.routes import Routes
from inventory.http.views import show_event
from inventory.service import event_feed

routes = Routes("list_events")


@routes.operation(summary="The organization's events in commit order",
                  query=ListEvents, response="EventPage")
def feed(call):
    query = call.query(ListEvents)
    found = event_feed.list_events(call.services, call.actor, query)
    return render.json_response({
        "data": [show_event(event) for event in found.items],
        "pagination": {"limit": query.limit, "next_cursor": found.next_cursor,
                       "has_more": len(found.items) == query.limit}})


@functions_framework.http
def list_events(request):
    return routes.dispatch(request)
