"""Exactly-once mutations: the first response to an Idempotency-Key is stored with the change.

A record belongs to the API key that made the request: a retry by that key is replayed, while
the same Idempotency-Key sent by another key (of the same organization or not) is a request of
its own. A response that holds a secret is stored sealed, so it is replayed, secret included,
only to the key that was first shown it.

The key is optional, as Stripe has it: a write without one is applied once per request and
nothing is kept to replay, unless its organization requires keys (`require_idempotency_key`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from ..domain import wire
from ..domain.errors import BadRequest, IdempotencyConflict
from ..domain.models import Event, IdempotencyRecord
from .auth import Actor
from .outbox import publish_committed
from .recording import RecordingEvents
from .ports import Services, Transaction

REPLAY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Idempotency:
    key: str | None  # None: the request came without one
    fingerprint: str = ""  # hash of method, path and canonical body


WITHOUT_KEY = Idempotency(None)


@dataclass(frozen=True)
class Outcome:
    """A mutation's response document, as first sent; `replayed` marks a retry's copy, and
    `holds_secret` a body with a secret in it (stored sealed)."""

    status: int
    body: dict[str, Any]
    replayed: bool = False
    holds_secret: bool = False


def run_once(services: Services, actor: Actor, idempotency: Idempotency,
             decide: Callable[[Transaction, datetime], Outcome]) -> Outcome:
    """Run `decide` in one transaction unless this key already has a response, then replay it.

    The record is written in the same transaction as the change, so a retry racing the
    first request either sees the committed change and its response, or waits for it.
    A refused request stores nothing: its retry is judged again.
    """
    if idempotency.key is None:
        return _run_without_key(services, actor, decide)

    written: list[Event] = []

    def work(tx: Transaction) -> Outcome:
        written.clear()  # the store may run this again after contention
        tx = RecordingEvents(tx, written)
        now = services.clock.now()
        record = tx.get_idempotency(actor.organization_id, actor.api_key_id, idempotency.key)
        if record is not None and now - record.created_at < REPLAY_WINDOW:
            if record.fingerprint != idempotency.fingerprint:
                raise IdempotencyConflict(
                    "this Idempotency-Key was used for a different request",
                    "Idempotency-Key")
            return Outcome(record.status, wire.loads(record.body), replayed=True,
                           holds_secret=record.holds_secret)
        outcome = decide(tx, now)
        tx.save_idempotency(IdempotencyRecord(
            organization_id=actor.organization_id, api_key_id=actor.api_key_id,
            key=idempotency.key, fingerprint=idempotency.fingerprint, status=outcome.status,
            body=wire.dumps(outcome.body), holds_secret=outcome.holds_secret, created_at=now))
        return outcome

    outcome = services.store.transact(work)
    if not outcome.replayed:
        publish_committed(services, list(written))
    return outcome


def _run_without_key(services: Services, actor: Actor,
                     decide: Callable[[Transaction, datetime], Outcome]) -> Outcome:
    """A keyless write: refused if the organization requires keys, else applied once for this
    request with nothing stored to replay (a retry is a new request)."""
    organization = services.store.get_organization(actor.organization_id)
    if organization is not None and organization.require_idempotency_key:
        raise BadRequest("this organization requires an Idempotency-Key header on every write "
                         "(a UUID will do)", "Idempotency-Key", "idempotency_key_required")
    written: list[Event] = []

    def work(tx: Transaction) -> Outcome:
        written.clear()  # the store may run this again after contention
        return decide(RecordingEvents(tx, written), services.clock.now())

    outcome = services.store.transact(work)
    publish_committed(services, list(written))
    return outcome
