"""The OpenAPI 3.1 document, generated from serverless.yaml, each function's declared routes and
the pydantic models those routes read and send — never kept by hand.
"""
from __future__ import annotations

import importlib.util
import re
import sys
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from ..domain import errors as e
from ..manifest import Manifest
from ..manifest import load as load_manifest
from . import errors, responses
from .call import IDEMPOTENCY_KEY
from .routes import Route

TITLE = "Inventory API"
VERSION = "1.0.0"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
SUCCESS = {200: "OK", 201: "Created", 202: "Accepted: the work is queued"}
REF = "#/components/schemas/{model}"

# One reusable response per refusal status; each carries the error envelope.
REFUSALS = {
    400: ("BadRequest", "The request cannot be read: a malformed header, a missing one the "
          "organization requires (`Idempotency-Key`), or a body that is not JSON."),
    401: ("Unauthenticated", "No API key, or an unknown or revoked one."),
    403: ("Forbidden", "The key lacks the scope, or names another organization."),
    404: ("NotFound", "No such resource in the key's organization."),
    405: ("MethodNotAllowed", "The path does not take this method; `Allow` lists those it takes."),
    409: ("Conflict", "The request conflicts with the current state (such as stock that would "
          "go below zero)."),
    412: ("PreconditionFailed", "`If-Match` names a version that is not the current one."),
    413: ("PayloadTooLarge", "The body is over the size limit."),
    415: ("UnsupportedMediaType", "The body is not sent as `application/json`."),
    422: ("InvalidInput", "The input breaks a rule; `fields` names each offending field. Also an "
          "`Idempotency-Key` reused with another request."),
    503: ("ServiceUnavailable", "Too many concurrent writers of the same records: nothing was "
          "applied; retry after `Retry-After` seconds."),
}
# A refusal of each native status, for the status a dialect answers it with instead.
REFUSED_AS = {400: errors.BadRequest, 401: e.Unauthenticated, 403: e.Forbidden, 404: e.NotFound,
              405: errors.MethodNotAllowed, 409: e.Conflict, 412: e.VersionMismatch,
              413: errors.PayloadTooLarge, 415: errors.UnsupportedMediaType,
              422: e.InvalidInput, 503: e.Contention}

# OpenAPI links from a success to the operations it enables, by operationId: clients and the
# stateful fuzzer follow them (create a location -> create an item there -> adjust -> read the ledger).
CREATED = "$response.body#/data/id"  # the id of what the source operation created
LINKS: dict[str, dict[str, dict[str, Any]]] = {
    "create_location": {
        "CreateItemHere": {"operationId": "create_item", "requestBody": {"location_id": CREATED}},
        "ListItemsHere": {"operationId": "list_items", "parameters": {"location_id": CREATED}},
        "SnapshotHere": {"operationId": "take_snapshot", "parameters": {"location_id": CREATED}},
        "SetPosConnection": {"operationId": "set_pos_connection", "parameters": {"location_id": CREATED}},
        "GetPosConnection": {"operationId": "get_pos_connection", "parameters": {"location_id": CREATED}},
        "SyncHere": {"operationId": "request_sync", "requestBody": {"location_id": CREATED}},
    },
    "create_item": {
        "GetItem": {"operationId": "get_item", "parameters": {"item_id": CREATED}},
        "UpdateItem": {"operationId": "update_item", "parameters": {"item_id": CREATED}},
        "ListChanges": {"operationId": "list_changes", "parameters": {"item_id": CREATED}},
        "ArchiveItem": {"operationId": "archive_item", "parameters": {"item_id": CREATED}},
        "TransferFrom": {"operationId": "transfer", "requestBody": {"from_item_id": CREATED}},
    },
    "update_item": {
        "ListChanges": {"operationId": "list_changes", "parameters": {"item_id": CREATED}},
        "GetItem": {"operationId": "get_item", "parameters": {"item_id": CREATED}},
    },
    "transfer": {
        "GetDestination": {"operationId": "get_item",
                           "parameters": {"item_id": "$response.body#/data/to_item/id"}},
    },
    "subscribe": {
        name: {"operationId": target, "parameters": {"subscription_id": "$response.body#/data/id"}}
        for name, target in [("GetSubscription", "get_subscription"),
                             ("DeleteSubscription", "delete_subscription"),
                             ("RotateSecret", "rotate_secret"), ("ListDeliveries", "list_deliveries")]
    },
    "request_sync": {
        "GetRun": {"operationId": "get_run", "parameters": {"sync_id": "$response.body#/data/id"}},
    },
}
ALLOW_HEADER = {"description": "The methods the path takes.", "schema": {"type": "string"}}
RETRY_AFTER_HEADER = {"description": "Seconds to wait before retrying.", "schema": {"type": "string"}}
PATH_PARAMETER = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_.-]+$"}


class SchemaGenerator(GenerateJsonSchema):
    """Pydantic's JSON Schema, with readable names for generic envelopes and numeric defaults."""

    def normalize_name(self, name: str) -> str:
        return re.sub(r"[^A-Za-z0-9.\-_]", "", name)  # One[InventoryItem] -> OneInventoryItem

    def encode_default(self, dft: Any) -> Any:
        if isinstance(dft, Decimal):  # quantities are JSON numbers, not the strings pydantic writes
            return int(dft) if dft == dft.to_integral_value() else float(dft)
        return super().encode_default(dft)


def query_parameter_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A query field's schema less its `null` branch: an absent parameter is the null."""
    branches = [b for b in schema.get("anyOf", ()) if b != {"type": "null"}]
    if len(branches) == 1 and len(schema["anyOf"]) == 2:
        rest = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
        schema = {**rest, **branches[0]}
    return schema


def function_module(name: str, main: Path) -> ModuleType:
    """Import a function's main.py under a name of its own (every one is called `main`)."""
    spec = importlib.util.spec_from_file_location(f"inventory_function_{name}", main)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves generic models through sys.modules
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def is_native(function) -> bool:
    """A dialect's function (its module names its `dialect`) answers in that dialect's own
    shapes, so this document, the native API's, leaves it out."""
    return getattr(function_module(function.name, function.main), "dialect", None) is None


def declared_routes(manifest: Manifest) -> list[tuple[str, Route]]:
    """(function name, route) for every native HTTP function in the manifest, in manifest order."""
    found = []
    for function in manifest.functions:
        if function.routes and is_native(function):
            module = function_module(function.name, function.main)
            found += [(function.name, route) for route in module.routes.routes]
    return found


def refusals_of(route: Route) -> list[int]:
    """Every 4xx the route can send, from its shape: auth, path ids, query, body, writes."""
    statuses = {404, 405} | set(route.errors)
    if not route.public:
        statuses |= {401, 403}
    if route.query is not None:
        statuses |= {422}
    if route.body is not None:
        statuses |= {400, 413, 415, 422}
    if route.method in MUTATING:
        # Idempotency-Key; a replay in flight; its body; contention among writers (Firestore)
        statuses |= {400, 409, 413, 415, 422, 503}
    if route.method == "PATCH":
        statuses |= {412}
    return sorted(statuses)


def dialect_refusals(route: Route) -> dict[int, list[int]]:
    """The statuses the route's dialect answers its refusals with, each with the native statuses
    it stands for (Square answers a 409 or a 422 with 400, for one)."""
    answered: dict[int, list[int]] = {}
    for status in refusals_of(route):
        own = route.dialect.status_of(REFUSED_AS[status]("refused"))
        answered.setdefault(own, []).append(status)
    return answered


def document_model(route: Route) -> type[BaseModel] | None:
    """The model of the route's success body, which the route names (functions never import
    the models: only this generator needs them)."""
    return getattr(responses, route.response) if route.response else None


def _has_version(model: Any) -> bool:
    data = getattr(model, "model_fields", {}).get("data")
    annotation = data.annotation if data is not None else None
    return isinstance(annotation, type) and issubclass(annotation, BaseModel) \
        and "version" in annotation.model_fields


def _parameters(route: Route, query_schema: dict[str, Any] | None) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": dict(PATH_PARAMETER)}
        for name in re.findall(r"\{(\w+)\}", route.template)]
    if query_schema is not None:
        required = set(query_schema.get("required", ()))
        for name, schema in query_schema.get("properties", {}).items():
            parameter = {"name": name, "in": "query", "required": name in required,
                         "schema": query_parameter_schema(schema)}
            if "description" in schema:
                parameter["description"] = schema["description"]
            parameters.append(parameter)
    if route.method in MUTATING:
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    if route.method == "PATCH":
        parameters.append({"$ref": "#/components/parameters/IfMatch"})
    return parameters


def _success(route: Route, schema_ref: dict[str, Any] | None) -> dict[str, Any]:
    headers: dict[str, Any] = {"X-Request-Id": {"$ref": "#/components/headers/XRequestId"}}
    model = document_model(route)
    if _has_version(model):
        headers["ETag"] = {"$ref": "#/components/headers/ETag"}
    if route.method in MUTATING:
        headers["Idempotent-Replayed"] = {"$ref": "#/components/headers/IdempotentReplayed"}
    media_types = (route.media_type,) if isinstance(route.media_type, str) else route.media_type
    if model is None:
        description = route.description or SUCCESS.get(route.status, "Success")
        return {"description": description, "headers": headers, "content": {
            media_type: {"schema": {"type": "object"} if media_type == "application/json"
                         else {"type": "string"}} for media_type in media_types}}
    own = model.__dict__.get("__doc__")
    description = own.strip().splitlines()[0] if own else SUCCESS.get(route.status, "Success")
    return {"description": description, "headers": headers,
            "content": {media_type: {"schema": schema_ref or {}} for media_type in media_types}}


def _refusal(route: Route, status: int, natives: list[int]) -> dict[str, Any]:
    """One refusal status of a route: the reusable native response, or the dialect's own shape in
    its media types."""
    if route.dialect.refusal_schema is None:
        return {"$ref": f"#/components/responses/{REFUSALS[natives[0]][0]}"}
    answer: dict[str, Any] = {
        "description": " ".join(REFUSALS[native][1] for native in natives),
        "headers": {"X-Request-Id": {"$ref": "#/components/headers/XRequestId"}},
        "content": {media_type: {"schema": route.dialect.refusal_schema
                                 if media_type == "application/json" else {"type": "string"}}
                    for media_type in route.dialect.media_types}}
    if 405 in natives:
        answer["headers"]["Allow"] = ALLOW_HEADER
    if 503 in natives:
        answer["headers"]["Retry-After"] = RETRY_AFTER_HEADER
    return answer


def _components(models_schema: dict[str, Any]) -> dict[str, Any]:
    envelope = {"application/json": {"schema": {"$ref": REF.format(model="ErrorEnvelope")}}}
    refusals = {}
    for status, (name, description) in REFUSALS.items():
        refusals[name] = {"description": description, "content": envelope,
                          "headers": {"X-Request-Id": {"$ref": "#/components/headers/XRequestId"}}}
    refusals["MethodNotAllowed"]["headers"]["Allow"] = ALLOW_HEADER
    refusals["ServiceUnavailable"]["headers"]["Retry-After"] = RETRY_AFTER_HEADER
    return {
        "schemas": models_schema,
        "responses": refusals,
        "parameters": {
            "IdempotencyKey": {
                "name": "Idempotency-Key", "in": "header", "required": False,
                "description": "Makes the write happen once: a retry with the same key returns "
                               "the first response; the same key with another request is refused "
                               "(422). A UUID will do. Without it the write is applied once per "
                               "request, unless the organization requires a key (then 400).",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255,
                           "pattern": IDEMPOTENCY_KEY.pattern}},
            "IfMatch": {
                "name": "If-Match", "in": "header", "required": False,
                "description": "Apply only if the item is still at this version (its ETag); "
                               "otherwise 412.",
                "schema": {"type": "string", "pattern": r'^(\*|(W/)?"?[0-9]{1,18}"?)$'}},
        },
        "headers": {
            "XRequestId": {"description": "This request's id, also in its log line and any error.",
                           "schema": {"type": "string"}},
            "ETag": {"description": "The item's version, for `If-Match`.", "required": True,
                     "schema": {"type": "string"}},
            "IdempotentReplayed": {"description": "`true` when this is the stored response to an "
                                                  "earlier request with the same Idempotency-Key.",
                                   "schema": {"type": "string", "enum": ["true"]}},
        },
        "securitySchemes": {
            "apiKey": {"type": "http", "scheme": "bearer",
                       "description": "`Authorization: Bearer sk_…`: a key belongs to one "
                                      "organization and has scopes."}},
    }


def build(manifest: Manifest | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document for every HTTP route in serverless.yaml."""
    manifest = manifest or load_manifest()
    routes = declared_routes(manifest)
    wanted: list[tuple[type[BaseModel], str]] = [(responses.ErrorEnvelope, "serialization")]
    for _, route in routes:
        if route.query is not None:
            wanted.append((route.query, "validation"))
        if route.body is not None:
            wanted.append((route.body, "validation"))
        if route.response:
            wanted.append((document_model(route), "serialization"))
    refs, definitions = models_json_schema(list(dict.fromkeys(wanted)), ref_template=REF,
                                           schema_generator=SchemaGenerator)
    schemas = definitions.get("$defs", {})

    paths: dict[str, dict[str, Any]] = {}
    for function, route in routes:
        query_schema = None
        if route.query is not None:
            query_schema = schemas[refs[(route.query, "validation")]["$ref"].rsplit("/", 1)[1]]
        response_ref = refs.get((document_model(route), "serialization"))
        operation: dict[str, Any] = {
            "operationId": route.handler.__name__,
            "summary": route.summary or (route.handler.__doc__ or route.handler.__name__).strip(),
            "tags": [function],
            "parameters": _parameters(route, query_schema),
            "responses": {str(route.status): _success(route, response_ref)},
        }
        if route.handler.__name__ in LINKS:
            operation["responses"][str(route.status)]["links"] = LINKS[route.handler.__name__]
        if route.scope is not None and not route.public:
            operation["description"] = f"Needs an API key with the `{route.scope.value}` scope."
        if route.public:
            operation["security"] = []
        if route.body is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": refs[(route.body, "validation")]}}}
        for status, natives in dialect_refusals(route).items():
            operation["responses"][str(status)] = _refusal(route, status, natives)
        paths.setdefault(route.template, {})[route.method.lower()] = operation

    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "Multi-location inventory for regulated retail. Quantities and "
                                "money are exact decimals, sent as JSON numbers. Every write "
                                "takes an optional `Idempotency-Key`; every refusal is the error "
                                "envelope."},
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": _components(schemas),
    }


@lru_cache(maxsize=1)
def document() -> dict[str, Any]:
    """The document for this checkout's serverless.yaml, built once per process."""
    return build()
