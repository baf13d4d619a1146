"""The short lists every store reads whole, in one order on each: locations, subscriptions (all,
and those that want an event type) by id, and POS connections by organization, then location."""
from __future__ import annotations

from inventory.domain.models import Location
from inventory.domain.sync import ConnectorKind, PosConnection
from inventory.domain.webhooks import WebhookSubscription

from .builders import ORG, OTHER_ORG, T0, at


def _location(location_id: str, organization_id: str = ORG) -> Location:
    return Location(id=location_id, organization_id=organization_id, name=location_id,
                    time_zone="America/Denver", created_at=T0)


def _subscription(subscription_id: str, events=("*",), deleted: bool = False,
                  organization_id: str = ORG) -> WebhookSubscription:
    return WebhookSubscription(id=subscription_id, organization_id=organization_id,
                               url=f"https://hooks.example.com/{subscription_id}", events=events,
                               secret="whsec_" + "a" * 44, created_at=T0, updated_at=T0,
                               deleted_at=at(1) if deleted else None)


def _connection(organization_id: str, location_id: str) -> PosConnection:
    return PosConnection(organization_id=organization_id, location_id=location_id,
                         kind=ConnectorKind.FILE, settings={"path": "pos.csv"}, updated_at=T0)


def test_locations_are_listed_by_id(store):
    store.transact(lambda tx: [tx.save_location(_location(i)) for i in ("loc_c", "loc_a", "loc_b")]
                   + [tx.save_location(_location("loc_0", OTHER_ORG))])
    assert [l.id for l in store.list_locations(ORG)] == ["loc_a", "loc_b", "loc_c"]
    assert store.list_locations(ORG)[0] == _location("loc_a")
    assert store.list_locations("org_nobody") == []


def test_subscriptions_are_listed_by_id_without_the_deleted(store):
    store.transact(lambda tx: [tx.save_subscription(s) for s in (
        _subscription("whk_c", ("inventory.low_stock",)), _subscription("whk_a"),
        _subscription("whk_d", deleted=True), _subscription("whk_b", ("inventory.updated",)),
        _subscription("whk_0", organization_id=OTHER_ORG))])
    assert [s.id for s in store.list_subscriptions(ORG)] == ["whk_a", "whk_b", "whk_c"]
    assert store.list_subscriptions(ORG)[0] == _subscription("whk_a")
    wanting = store.transact(lambda tx: [s.id for s in tx.subscriptions_for(ORG, "inventory.updated")])
    assert wanting == ["whk_a", "whk_b"]
    assert store.list_subscriptions("org_nobody") == []


def test_pos_connections_are_every_organizations_by_organization_then_location(store):
    places = [(OTHER_ORG, "loc_2"), (ORG, "loc_3"), (OTHER_ORG, "loc_1"), (ORG, "loc_1")]
    store.transact(lambda tx: [tx.save_pos_connection(_connection(*p)) for p in places])
    assert [(c.organization_id, c.location_id) for c in store.pos_connections()] == sorted(places)
    assert store.pos_connections()[0] == _connection(ORG, "loc_1")
