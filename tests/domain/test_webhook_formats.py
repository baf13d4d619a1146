"""Which of our events a subscription is sent, by the names its format gives them."""
from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, strategies as st

from inventory.domain.events import EVENT_TYPES
from inventory.domain.webhooks import FORMAT_EVENT_TYPES, WebhookFormat, WebhookSubscription

NOW = datetime(2026, 11, 25, tzinfo=timezone.utc)
EVERY_NAME = sorted({name for names in FORMAT_EVENT_TYPES.values() for name in names})


def subscription(webhook_format: WebhookFormat, events, deleted: bool = False) -> WebhookSubscription:
    return WebhookSubscription(id="whk_1", organization_id="org", url="https://hooks.example.com/x",
                               events=tuple(events), format=webhook_format, secret="key",
                               created_at=NOW, updated_at=NOW, deleted_at=NOW if deleted else None)


@given(data=st.data(), webhook_format=st.sampled_from(list(WebhookFormat)))
def test_a_subscription_wants_exactly_the_types_its_formats_names_stand_for(data, webhook_format):
    names = FORMAT_EVENT_TYPES[webhook_format]
    chosen = data.draw(st.lists(st.sampled_from([*names, "*"]), min_size=1, unique=True))
    expected = set(names.values()) if "*" in chosen else {names[name] for name in chosen}
    for event_type in (*EVENT_TYPES, *EVERY_NAME):
        assert subscription(webhook_format, chosen).wants(event_type) == (event_type in expected)
        assert not subscription(webhook_format, chosen, deleted=True).wants(event_type)


def test_squares_count_updated_stands_for_our_inventory_updated_only():
    square = subscription(WebhookFormat.SQUARE, ["inventory.count.updated"])
    assert [t for t in EVENT_TYPES if square.wants(t)] == ["inventory.updated"]
    assert not square.wants("inventory.count.updated")  # a name of Square's, not an event of ours
    assert not subscription(WebhookFormat.NATIVE, ["*"]).wants("inventory.count.updated")
