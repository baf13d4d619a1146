"""The baseline: a bare functions-framework HTTP function that answers hello."""
import functions_framework


@functions_framework.http
def hello(request):
    return {"hello": "world"}
