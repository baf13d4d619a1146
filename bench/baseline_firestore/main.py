"""The Firestore floor: a bare functions-framework HTTP function that reads one Firestore
document with Google's client library (imported on the first request, as the functions do).
What it costs over `baseline_hello` is the client library's own start, which no function
that uses Firestore can avoid."""
import functions_framework

_client = None


@functions_framework.http
def read_one(request):
    global _client
    if _client is None:
        from google.cloud import firestore
        _client = firestore.Client()
    found = _client.collection("organizations").document("missing").get()
    return {"exists": found.exists}
