"""The event feed and the outbox on every store: events in commit order, a feed cursor that always
resumes where the reader stands (an empty feed too), type filters, and the unpublished events."""
from __future__ import annotations

import pytest

from inventory.domain.errors import InvalidInput

from .builders import ORG, OTHER_ORG, at, event, write

LOW = "inventory.low_stock"


def _feed(store, after, types=(), limit=3):
    found = store.list_events(ORG, after, list(types), limit)
    return [e.id for e in found.items], found.next_cursor


def test_an_empty_feed_returns_a_cursor_that_resumes_from_the_start(store):
    ids, cursor = _feed(store, None)
    assert ids == [] and isinstance(cursor, str) and cursor
    again, same = _feed(store, cursor)
    assert again == [] and isinstance(same, str) and same
    write(store, events=[event("evt_1", occurred_at=at(1)), event("evt_2", occurred_at=at(2))])
    assert _feed(store, cursor)[0] == ["evt_1", "evt_2"]
    assert _feed(store, same)[0] == ["evt_1", "evt_2"]
    # Another organization's feed stays empty, with a cursor all the same.
    theirs = store.list_events(OTHER_ORG, None, [], 10)
    assert list(theirs.items) == [] and theirs.next_cursor


def test_the_feed_cursor_walks_events_in_commit_order_and_waits_at_the_end(store):
    write(store, events=[event(f"evt_{n}", occurred_at=at(n)) for n in range(1, 5)])
    write(store, events=[event(f"evt_{n}", occurred_at=at(n)) for n in range(5, 8)]
          + [event("evt_x", occurred_at=at(3), organization_id=OTHER_ORG)])
    pages, cursor = [], None
    for _ in range(3):
        ids, cursor = _feed(store, cursor)
        pages.append(ids)
    assert pages == [["evt_1", "evt_2", "evt_3"], ["evt_4", "evt_5", "evt_6"], ["evt_7"]]
    ids, waiting = _feed(store, cursor)
    assert ids == [] and waiting
    write(store, events=[event("evt_8", occurred_at=at(8))])
    assert _feed(store, cursor)[0] == ["evt_8"] and _feed(store, waiting)[0] == ["evt_8"]
    found = store.list_events(ORG, None, [], 100)
    assert found.items[0] == event("evt_1", occurred_at=at(1))


def test_a_filtered_feed_resumes_after_the_last_event_it_returned(store):
    kinds = ["inventory.updated", LOW, "inventory.updated", LOW, "inventory.sync.completed", LOW]
    write(store, events=[event(f"evt_{n}", occurred_at=at(n), type=kind)
                         for n, kind in enumerate(kinds, start=1)])
    ids, cursor = _feed(store, None, [LOW], 2)
    assert ids == ["evt_2", "evt_4"]
    assert _feed(store, cursor, [LOW], 2)[0] == ["evt_6"]
    assert _feed(store, cursor, [], 10)[0] == ["evt_5", "evt_6"]
    both = _feed(store, None, [LOW, "inventory.sync.completed"], 10)[0]
    assert both == ["evt_2", "evt_4", "evt_5", "evt_6"]
    ids, cursor = _feed(store, None, ["inventory.nothing"], 10)
    assert ids == [] and cursor


@pytest.mark.parametrize("after", ["garbage!", "=", "YWZ0ZXItaWQ6aXRtXzE", "c2VxOi0x"])
def test_a_feed_cursor_the_store_did_not_write_is_refused_as_invalid_after(store, after):
    with pytest.raises(InvalidInput) as refusal:
        store.list_events(ORG, after, [], 10)
    assert refusal.value.code == "invalid_cursor" and refusal.value.fields[0].field == "after"


def test_pending_events_are_every_organizations_unpublished_events_in_commit_order(store):
    write(store, events=[event("evt_1", occurred_at=at(1)),
                         event("evt_2", occurred_at=at(2), organization_id=OTHER_ORG)])
    write(store, events=[event("evt_3", occurred_at=at(3)), event("evt_4", occurred_at=at(4))])
    assert store.pending_events(10) == [event("evt_1", occurred_at=at(1)),
                                        event("evt_2", occurred_at=at(2), organization_id=OTHER_ORG),
                                        event("evt_3", occurred_at=at(3)),
                                        event("evt_4", occurred_at=at(4))]
    assert [e.id for e in store.pending_events(2)] == ["evt_1", "evt_2"]
    store.mark_published(["evt_1", "evt_3"], at(10))
    assert [e.id for e in store.pending_events(10)] == ["evt_2", "evt_4"]
    store.mark_published(["evt_2", "evt_4"], at(11))
    assert store.pending_events(10) == []
    # Published events stay in the feed.
    assert _feed(store, None, [], 10)[0] == ["evt_1", "evt_3", "evt_4"]


def test_get_event_reads_the_organizations_own_events_only(store):
    write(store, events=[event("evt_1", occurred_at=at(1))])
    assert store.get_event(ORG, "evt_1") == event("evt_1", occurred_at=at(1))
    assert store.get_event(OTHER_ORG, "evt_1") is None and store.get_event(ORG, "evt_9") is None
