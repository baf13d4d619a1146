"""/api/inventory?organization_id=…: Cannlytics' inventory endpoint (GET, POST, DELETE)."""
import functions_framework

from inventory.cannlytics.handler import handle


@functions_framework.http
def cannlytics_inventory(request):
    return handle(request, "cannlytics_inventory")
