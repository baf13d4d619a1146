"""Runs in .venv-square (Square's SDKs have their own pins): reads {"base_url", "token", "sdk",
"calls": [{"method", "kwargs", "pages"?}]} on stdin, makes each call with Square's own client and
prints one JSON list of results: {"body"} (the SDK's parsed response), {"pages"} for a pager
walked page by page, or {"status", "errors", "attempts"} for an ApiError."""
import json
import sys


def modern(request):
    import httpx
    from square import Square
    from square.core.api_error import ApiError

    attempts = []
    client = Square(token=request["token"], base_url=request["base_url"],
                    httpx_client=httpx.Client(event_hooks={"request": [attempts.append]}))
    results = []
    for call in request["calls"]:
        attempts.clear()
        method = getattr(client.inventory, call["method"])
        try:
            answer = method(**call.get("kwargs", {}))
            if call.get("pages"):
                results.append({"pages": [[item.model_dump(mode="json", exclude_none=True)
                                           for item in page.items or []]
                                          for page in answer.iter_pages()]})
            elif hasattr(answer, "iter_pages"):
                results.append({"body": answer.response.model_dump(mode="json", exclude_none=True)})
            else:
                results.append({"body": answer.model_dump(mode="json", exclude_none=True)})
        except ApiError as error:
            body = error.body if isinstance(error.body, dict) else {"raw": error.body}
            results.append({"status": error.status_code, "errors": body.get("errors"),
                            "attempts": len(attempts)})
    return results


def legacy(request):
    from square_legacy.client import Client

    client = Client(access_token=request["token"], environment="custom",
                    custom_url=request["base_url"])
    results = []
    for call in request["calls"]:
        answer = getattr(client.inventory, call["method"])(**call.get("kwargs", {}))
        results.append({"status": answer.status_code, "body": answer.body,
                        "errors": answer.errors if answer.is_error() else None})
    return results


if __name__ == "__main__":
    request = json.load(sys.stdin)
    results = legacy(request) if request.get("sdk") == "legacy" else modern(request)
    json.dump(results, sys.stdout)
