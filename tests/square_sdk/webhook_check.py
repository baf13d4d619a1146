"""Runs in .venv-square: checks webhook notifications as a Square app does. Reads
{"signature_key", "notification_url", "notifications": [{"body", "signature"}]} on stdin and
prints, for each, {"valid": verify_signature's answer, "event": the body parsed into the SDK's
InventoryCountUpdatedEvent, dumped back to JSON, "undeclared": the paths of fields the SDK's types
do not declare (kept by its lenient models, but no Square type of that name)}."""
import json
import sys

from pydantic import BaseModel

from square.types.inventory_count_updated_event import InventoryCountUpdatedEvent
from square.utils.webhooks_helper import verify_signature


def undeclared(value, path="") -> list[str]:
    if isinstance(value, BaseModel):
        found = [f"{path}.{name}".lstrip(".") for name in (value.model_extra or {})]
        for name in type(value).model_fields:
            found += undeclared(getattr(value, name), f"{path}.{name}")
        return found
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in undeclared(item, f"{path}[{index}]")]
    return []


def check(request):
    results = []
    for notification in request["notifications"]:
        valid = verify_signature(request_body=notification["body"],
                                 signature_header=notification["signature"],
                                 signature_key=request["signature_key"],
                                 notification_url=request["notification_url"])
        event = InventoryCountUpdatedEvent.model_validate_json(notification["body"])
        results.append({"valid": valid, "event": event.model_dump(mode="json", exclude_none=True),
                        "undeclared": undeclared(event)})
    return results


if __name__ == "__main__":
    json.dump(check(json.load(sys.stdin)), sys.stdout)
