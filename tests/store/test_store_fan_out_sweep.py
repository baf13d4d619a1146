"""The fan-out sweep's query on every store: published events whose deliveries were never made,
published before a bound, every organization's, oldest first; an event leaves it once marked
fanned out (in the fan-out's own transaction), and an unpublished one is never in it."""
from __future__ import annotations

from .builders import ORG, OTHER_ORG, at, event, write


def test_events_not_fanned_out_are_published_before_the_bound_and_never_fanned_out(store):
    write(store, events=[event(f"evt_{n}", occurred_at=at(n)) for n in range(1, 4)]
          + [event("evt_4", occurred_at=at(4), organization_id=OTHER_ORG), event("evt_5", occurred_at=at(5))])
    assert store.events_not_fanned_out(at(100), 10) == []  # none published yet: the relay's
    store.mark_published(["evt_2"], at(10))
    store.mark_published(["evt_4", "evt_1"], at(11))
    store.mark_published(["evt_3"], at(20))
    # By publication, then id (Firestore orders ties by document name; SQLite by commit, the same here).
    assert [e.id for e in store.events_not_fanned_out(at(100), 10)] == ["evt_2", "evt_1", "evt_4", "evt_3"]
    # Published at the bound or after: the dispatcher's still.
    assert {e.id for e in store.events_not_fanned_out(at(20), 10)} == {"evt_1", "evt_2", "evt_4"}
    assert [e.id for e in store.events_not_fanned_out(at(11), 10)] == ["evt_2"]
    assert len(store.events_not_fanned_out(at(100), 2)) == 2
    assert store.events_not_fanned_out(at(100), 10)[-1] == event("evt_3", occurred_at=at(3))

    store.transact(lambda tx: tx.mark_fanned_out(["evt_1", "evt_4"], at(30)))
    assert [e.id for e in store.events_not_fanned_out(at(100), 10)] == ["evt_2", "evt_3"]
    store.transact(lambda tx: tx.mark_fanned_out(["evt_2", "evt_3", "evt_2"], at(31)))
    assert store.events_not_fanned_out(at(100), 10) == []
    # Marking stays out of the feed and the outbox.
    assert [e.id for e in store.list_events(ORG, None, [], 10).items] == ["evt_1", "evt_2", "evt_3", "evt_5"]
    assert [e.id for e in store.pending_events(10)] == ["evt_5"]


def test_an_event_fanned_out_before_it_is_published_never_reaches_the_sweep(store):
    write(store, events=[event("evt_1", occurred_at=at(1))])
    store.transact(lambda tx: tx.mark_fanned_out(["evt_1"], at(2)))
    store.mark_published(["evt_1"], at(3))
    assert store.events_not_fanned_out(at(100), 10) == []
