"""/api/inventory?organization_id=…: Cannlytics' inventory endpoint (GET, POST, DELETE).

A dialect: it answers in Cannlytics' shapes (`{"success", "data"}`, `{"success": false,
"message"}`), so it dispatches through its own handler and stays out of the native OpenAPI
document; `routes` declares what it serves, as serverless.yaml does.
"""
import functions_framework

from inventory.cannlytics import handler
from inventory.http.routes import Routes

dialect = "cannlytics"
routes = Routes("cannlytics_inventory")
for method, template in handler.ROUTES:
    routes.add(method, template, None, summary=handler.SUMMARY[method])(handler.handle)


@functions_framework.http
def cannlytics_inventory(request):
    return handler.handle(request, "cannlytics_inventory")
