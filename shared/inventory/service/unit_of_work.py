"""One unit of work per write: the use case runs in one store transaction, the events it records
are published after the commit, and a request with an Idempotency-Key gets exactly one change.

Exactly once: the dialect that took the request hands over a render function (result -> reply)
and the reply it renders is stored in the same transaction as the change, so that a retry by the
same API key with the same key gets the first reply, and a retry racing the first request either
sees the committed change and its reply, or waits for it. A refused request stores nothing: its
retry is judged again. A record belongs to the API key that made the request: the same
Idempotency-Key sent by another key is a request of its own. A result that holds a secret is
stored sealed, so it is replayed, secret included, only to the key that was first shown it.

The key is optional, as Stripe has it: a write without one is applied once per request and
nothing is kept to replay, unless its organization requires keys (`require_idempotency_key`).

A record is kept for `settings.idempotency_ttl_s` (24 hours unless set), as Stripe keeps keys:
from its `expires_at` on, the key names a new request, whether or not the store has deleted
the record yet (Firestore's TTL policy deletes it within a day or so; the local worker sweeps
SQLite's: `delete_expired_replays`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Generic, TypeVar

from ..domain import wire
from ..domain.errors import IdempotencyConflict, IdempotencyKeyRequired
from ..domain.models import Event, IdempotencyRecord
from .auth import Actor
from .outbox import publish_committed
from .ports import Services, Transaction

R = TypeVar("R")


@dataclass(frozen=True)
class Reply:
    """A dialect's answer to a write, as first sent: opaque here, stored for replay."""

    status: int
    body: Any  # a JSON document (domain.wire writes it)


@dataclass(frozen=True)
class Idempotency:
    """How a write is applied: exactly once per `key` (None: once per request), `fingerprint`
    telling a retry from another request under the same key; `render` is the dialect's reply to
    the result, stored with the change (needed when there is a key)."""

    key: str | None
    fingerprint: str = ""
    render: Callable[[Any], Reply] | None = None


WITHOUT_KEY = Idempotency(None)


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """What a write use case returns: its domain result and the dialect's reply to it. A retry
    under the same key is `replayed`: the first reply, and no result (nothing was done)."""

    result: R | None
    reply: Reply | None = None
    replayed: bool = False


def run(services: Services, work: Callable[[Transaction], R]) -> R:
    """Run `work` in one transaction, then publish the events it recorded. The store may run
    `work` again after contention: what an abandoned attempt recorded is forgotten."""
    recorded: list[Event] = []

    def attempt(tx: Transaction) -> R:
        recorded.clear()
        return work(_Recording(tx, recorded))

    result = services.store.transact(attempt)
    publish_committed(services, list(recorded))
    return result


def run_once(services: Services, actor: Actor, idempotency: Idempotency,
             decide: Callable[[Transaction, datetime], R]) -> Outcome[R]:
    """Run `decide` (given the transaction and the time) once for this request: replay the
    stored reply if this API key already sent this Idempotency-Key."""
    if idempotency.key is None:
        _check_keyless_allowed(services, actor)
        result = run(services, lambda tx: decide(tx, services.clock.now()))
        return Outcome(result, idempotency.render(result) if idempotency.render else None)
    render = idempotency.render
    if render is None:
        raise TypeError("a write with an Idempotency-Key needs the dialect's render function")

    def work(tx: Transaction) -> Outcome[R]:
        now = services.clock.now()
        stored = _stored_reply(tx, actor, idempotency, now)
        if stored is not None:
            return stored
        result = decide(tx, now)
        reply = render(result)
        tx.save_idempotency(IdempotencyRecord(
            organization_id=actor.organization_id, api_key_id=actor.api_key_id,
            key=idempotency.key, fingerprint=idempotency.fingerprint, status=reply.status,
            body=wire.dumps(reply.body), holds_secret=getattr(result, "holds_secret", False),
            created_at=now, expires_at=now + replay_window(services)))
        return Outcome(result, reply)

    return run(services, work)


def replay_first(services: Services, actor: Actor, idempotency: Idempotency) -> Outcome | None:
    """For a dialect that looks things up before its unit of work (Cannlytics finds items by
    SKU), the key is judged first, so a retry gets the first reply whatever changed since: that
    reply if this API key already sent this Idempotency-Key (the key with another request is
    refused), a refusal for a write without a key where the organization requires one, None to
    go on. run_once judges again in its transaction."""
    if idempotency.key is None:
        _check_keyless_allowed(services, actor)
        return None
    return services.store.transact(
        lambda tx: _stored_reply(tx, actor, idempotency, services.clock.now()))


def _stored_reply(tx: Transaction, actor: Actor, idempotency: Idempotency,
                  now: datetime) -> Outcome | None:
    record = tx.get_idempotency(actor.organization_id, actor.api_key_id, idempotency.key)
    if record is None or now >= record.expires_at:  # expired: the key names a new request
        return None
    if record.fingerprint != idempotency.fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was used for a different request",
                                  "Idempotency-Key")
    return Outcome(None, Reply(record.status, wire.loads(record.body)), replayed=True)


def replay_window(services: Services) -> timedelta:
    """How long a write's reply is kept for replay."""
    return timedelta(seconds=services.settings.idempotency_ttl_s)


def delete_expired_replays(services: Services) -> int:
    """Delete the replay records that have expired (the local worker's sweep); how many."""
    return services.store.delete_expired_idempotency(services.clock.now())


def _check_keyless_allowed(services: Services, actor: Actor) -> None:
    organization = services.store.get_organization(actor.organization_id)
    if organization is not None and organization.require_idempotency_key:
        raise IdempotencyKeyRequired("this organization requires an Idempotency-Key header on "
                                     "every write (a UUID will do)", "Idempotency-Key")


class _Recording:
    """A transaction that notes the events written through it, to publish after commit."""

    def __init__(self, tx: Transaction, recorded: list[Event]):
        self._tx = tx
        self._recorded = recorded

    def append_event(self, event: Event) -> None:
        self._recorded.append(event)
        self._tx.append_event(event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)
