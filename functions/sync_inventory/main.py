"""POST /api/v1/inventory/sync: queue a full or incremental POS sync (202); GET one run's status."""
import functions_framework

from inventory.domain.commands import RequestSync
from inventory.http import render, replies
from inventory.http.routes import Routes
from inventory.http.views import SyncRunView
from inventory.service import sync

routes = Routes("sync_inventory")


@routes.operation(summary="Queue a full or incremental POS sync",
                  body=RequestSync, response="SyncRunDocument", status=202)
def request_sync(call):
    command = call.body(RequestSync)
    return render.outcome(sync.request_sync(call.services, call.actor, command,
                                            call.write(replies.sync_run)))


@routes.operation(summary="A sync run's status and summary",
                  response="SyncRunDocument")
def get_run(call):
    return render.one(SyncRunView, sync.get_run(call.services, call.actor, call.path["sync_id"]))


@functions_framework.http
def sync_inventory(request):
    return routes.dispatch(request)
