"""A request as the handlers see it: who calls, which path parameters, the typed body and query,
and how a write is to be applied (its Idempotency-Key and the reply its route sends)."""
from __future__ import annotations

import hashlib
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from pydantic import BaseModel, ValidationError

from .. import bootstrap
from ..domain import wire
from ..service.auth import Actor, authenticate
from ..service.ports import Services
from ..service.unit_of_work import Idempotency, Reply
from .errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, from_validation

if TYPE_CHECKING:
    from .routes import Route

M = TypeVar("M", bound=BaseModel)
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,255}$")
IF_MATCH = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')


class Call:
    def __init__(self, request: Any, path_params: dict[str, str], route: Route):
        self.request = request
        self.path = path_params
        self.route = route

    @cached_property
    def services(self) -> Services:
        return bootstrap.services()

    @cached_property
    def actor(self) -> Actor:
        # Behind API Gateway with private functions, the caller's header arrives as
        # X-Forwarded-Authorization (Authorization then holds the gateway's own token).
        headers = self.request.headers
        authorization = headers.get("X-Forwarded-Authorization") or headers.get("Authorization")
        actor = authenticate(self.services.store, authorization)
        if self.route.scope is not None:
            actor.require(self.route.scope)
        return actor

    def query(self, model: type[M]) -> M:
        values: dict[str, Any] = {}
        for name in self.request.args:
            found = self.request.args.getlist(name)
            values[name] = found[0] if len(found) == 1 else found
        try:
            return model.model_validate(values)
        except ValidationError as error:
            raise from_validation(error) from None

    @cached_property
    def raw_body(self) -> bytes:
        """The body's bytes, refused (413) over the size limit, whatever its media type."""
        limit = self.services.settings.max_body_bytes
        if (self.request.content_length or 0) > limit:
            raise PayloadTooLarge(f"bodies are limited to {limit} bytes")
        raw = self.request.get_data(cache=True)
        if len(raw) > limit:
            raise PayloadTooLarge(f"bodies are limited to {limit} bytes")
        return raw

    @cached_property
    def json(self) -> Any:
        raw = self.raw_body
        if not raw.strip():
            raise BadRequest("this request needs a JSON body", "body", "body_required")
        if self.request.mimetype != "application/json":
            raise UnsupportedMediaType("send the body as Content-Type: application/json",
                                       "Content-Type")
        try:
            return wire.loads(raw)
        except wire.TooDeep as error:
            raise BadRequest(str(error), "body", "json_too_deep") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise BadRequest(f"the body is not valid JSON: {error}", "body", "invalid_json") from None

    def body(self, model: type[M]) -> M:
        if not isinstance(self.json, dict):
            raise BadRequest("the body must be a JSON object", "body", "invalid_body")
        try:
            return model.model_validate(self.json)
        except ValidationError as error:
            raise from_validation(error) from None

    def write(self, body_of: Callable[[Any], Any]) -> Idempotency:
        """How this write is applied: the request's Idempotency-Key (or none: the unit of work
        decides whether the organization allows that), a fingerprint of what it asks for, and
        its reply, the route's status with the body `body_of` the result, kept for a retry."""
        status = self.route.status

        def render(result: Any) -> Reply:
            return Reply(status, body_of(result))

        key = self.request.headers.get("Idempotency-Key")
        if key is None:
            return Idempotency(None, render=render)
        if not IDEMPOTENCY_KEY.match(key):
            raise BadRequest("Idempotency-Key must be 1-255 characters of A-Z a-z 0-9 . _ : -",
                             "Idempotency-Key", "invalid_idempotency_key")
        body = self.json if self.raw_body.strip() else None
        digest = hashlib.sha256(
            f"{self.request.method} {self.request.path}\n{wire.canonical(body)}".encode())
        return Idempotency(key, digest.hexdigest(), render)

    def if_match(self) -> int | None:
        header = self.request.headers.get("If-Match")
        if header is None or header.strip() == "*":
            return None
        found = IF_MATCH.match(header.strip())
        if not found:
            raise BadRequest('If-Match must be an ETag this API returned, such as "3"',
                             "If-Match", "invalid_if_match")
        return int(found.group(1))
