"""Subscribing to an event type needs the read scope of the data it carries; `*` needs them all."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import Api
from inventory import bootstrap
from inventory.domain.codes import Scope
from inventory.domain.events import EVENT_TYPES
from inventory.service.admin import create_api_key, create_organization

# What each event's data is, and so the scope that reads it anywhere else in the API:
# items and their changes (GET /inventory, /events), a sync run (GET /inventory/sync/{id}).
READ_SCOPE = {"inventory.updated": Scope.INVENTORY_READ, "inventory.low_stock": Scope.INVENTORY_READ,
              "inventory.sync.completed": Scope.INVENTORY_READ,
              "inventory.history_changed": Scope.INVENTORY_READ}


@pytest.fixture
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")
    bootstrap.reset()


def test_every_event_type_has_a_read_scope():
    from inventory.service.subscriptions import READ_SCOPE as SERVICE_READ_SCOPE
    assert set(READ_SCOPE) == set(EVENT_TYPES) and SERVICE_READ_SCOPE == READ_SCOPE


def test_a_webhooks_only_key_cannot_subscribe_to_what_it_cannot_read(loopback_allowed, gateway, services):
    organization = create_organization(services, "Org")
    _, key = create_api_key(services, organization.id, "hooks", (Scope.WEBHOOKS_MANAGE,))
    hooks_only = Api(gateway, key, organization.id)
    assert hooks_only.get("/api/v1/inventory").status == 403
    for events, field in ((["*"], "events[0]"), (["inventory.updated"], "events[0]"),
                          (["inventory.sync.completed", "inventory.low_stock"], "events[0]")):
        response = hooks_only.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/h", "events": events})
        assert response.status == 403, response
        assert response.error["code"] == "insufficient_scope"
        assert response.field_names() == [field]
        assert "inventory:read" in response.error["message"]
    assert hooks_only.get("/api/v1/webhooks").json["data"] == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scopes=st.sets(st.sampled_from(list(Scope))),
       events=st.lists(st.sampled_from([*EVENT_TYPES, "*"]), min_size=1, max_size=4))
def test_subscribing_is_allowed_exactly_when_the_key_reads_every_event_it_asks_for(
        loopback_allowed, gateway, services, scopes, events):
    organization = create_organization(services, "Org")
    _, key = create_api_key(services, organization.id, "key", tuple(scopes))
    caller = Api(gateway, key, organization.id)
    asked = set(EVENT_TYPES) if "*" in events else set(events)
    allowed = Scope.WEBHOOKS_MANAGE in scopes and {READ_SCOPE[e] for e in asked} <= scopes
    response = caller.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/h", "events": events})
    if allowed:
        assert response.status == 201, response
    else:
        assert response.status == 403 and response.error["code"] == "insufficient_scope", response
    stored = services.store.list_subscriptions(organization.id)
    assert len(stored) == (1 if allowed else 0)  # a refusal writes nothing
