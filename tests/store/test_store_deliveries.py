"""Deliveries on every store: a subscription's delivery log newest first (by creation, however often
a delivery is saved again), paged by cursor; and the due deliveries a retry timer takes, never-tried
first and then by next attempt time, skipping those a worker holds however many there are."""
from __future__ import annotations

import pytest

from inventory.domain.errors import InvalidInput
from inventory.domain.webhooks import DeliveryState

from .builders import ORG, OTHER_ORG, at, cursor_pages, delivery, write


def _log(store, limit=3, subscription_id="whk_1", organization_id=ORG) -> list[list[str]]:
    return cursor_pages(lambda cursor: store.list_deliveries(organization_id, subscription_id,
                                                             cursor, limit))


def test_the_delivery_log_is_newest_first_and_a_cursor_walks_it(store):
    # Written out of creation order; two created at one instant are ordered by id, newest first.
    created = {"dlv_a": at(1), "dlv_c": at(3), "dlv_b": at(2), "dlv_e": at(5), "dlv_d": at(5),
               "dlv_f": at(6), "dlv_g": at(7)}
    write(store, deliveries=[delivery(i, created_at=t) for i, t in created.items()]
          + [delivery("dlv_z", created_at=at(4), subscription_id="whk_2"),
             delivery("dlv_y", created_at=at(4), organization_id=OTHER_ORG)])
    assert _log(store) == [["dlv_g", "dlv_f", "dlv_e"], ["dlv_d", "dlv_c", "dlv_b"], ["dlv_a"]]
    assert _log(store, 7) == [["dlv_g", "dlv_f", "dlv_e", "dlv_d", "dlv_c", "dlv_b", "dlv_a"]]
    assert _log(store, subscription_id="whk_2") == [["dlv_z"]]


def test_a_delivery_saved_again_keeps_its_place_in_the_log(store):
    write(store, deliveries=[delivery(f"dlv_{n}", created_at=at(n)) for n in range(1, 5)])
    retried = delivery("dlv_2", created_at=at(2), state=DeliveryState.DEAD, updated_at=at(60))
    write(store, deliveries=[retried])
    assert _log(store, 10) == [["dlv_4", "dlv_3", "dlv_2", "dlv_1"]]
    found = store.list_deliveries(ORG, "whk_1", None, 10).items
    assert found[2] == retried


def test_an_empty_delivery_log_has_no_cursor(store):
    write(store, deliveries=[delivery("dlv_1", created_at=at(1))])
    for organization_id, subscription_id in ((ORG, "whk_9"), (OTHER_ORG, "whk_1")):
        found = store.list_deliveries(organization_id, subscription_id, None, 10)
        assert (list(found.items), found.next_cursor) == ([], None)
    exact = store.list_deliveries(ORG, "whk_1", None, 1)
    assert len(exact.items) == 1 and exact.next_cursor is None


@pytest.mark.parametrize("cursor", ["garbage!", "=", "YWZ0ZXItaWQ6aXRtXzE", "c2VxOjE"])
def test_a_delivery_log_cursor_the_store_did_not_write_is_refused(store, cursor):
    with pytest.raises(InvalidInput) as refusal:
        store.list_deliveries(ORG, "whk_1", cursor, 10)
    assert refusal.value.code == "invalid_cursor" and refusal.value.fields[0].field == "cursor"


NOW = at(1000)


def test_due_deliveries_are_retries_by_due_time_then_never_tried_skipping_held_and_settled(store):
    write(store, deliveries=[
        delivery("dlv_1", created_at=at(1), next_attempt_at=at(500)),
        delivery("dlv_2", created_at=at(2)),                                      # never tried
        delivery("dlv_3", created_at=at(3), next_attempt_at=at(100)),
        delivery("dlv_4", created_at=at(4), next_attempt_at=NOW),                 # due exactly now
        delivery("dlv_5", created_at=at(5), next_attempt_at=at(1001)),            # not yet
        delivery("dlv_6", created_at=at(6), next_attempt_at=at(100),
                 lease_until=at(1500)),                                           # held by a worker
        delivery("dlv_7", created_at=at(7), next_attempt_at=at(100), lease_until=at(900)),  # lease over
        delivery("dlv_8", created_at=at(8), state=DeliveryState.SUCCEEDED),
        delivery("dlv_9", created_at=at(9), state=DeliveryState.DEAD, next_attempt_at=at(1)),
        delivery("dlv_0", created_at=at(0), organization_id=OTHER_ORG),           # every organization's
    ])
    due = [d.id for d in store.due_deliveries(NOW, 10)]
    assert due == ["dlv_3", "dlv_7", "dlv_1", "dlv_4", "dlv_0", "dlv_2"]
    assert [d.id for d in store.due_deliveries(NOW, 3)] == due[:3]
    assert [d.id for d in store.due_deliveries(at(0), 10)] == ["dlv_0", "dlv_2"]
    assert [d.id for d in store.due_deliveries(NOW, 10, skip_subscriptions={"whk_1"})] == []


@pytest.mark.parametrize("never_tried", [True, False])
def test_deliveries_held_by_workers_do_not_hide_the_due_ones_behind_them(store, never_tried):
    held = [delivery(f"dlv_{n}", created_at=at(n), lease_until=at(2000),
                     next_attempt_at=None if never_tried else at(n)) for n in range(1, 6)]
    free = [delivery(f"dlv_{n}", created_at=at(n), next_attempt_at=None if never_tried else at(n))
            for n in range(6, 9)]
    write(store, deliveries=held + free)
    assert [d.id for d in store.due_deliveries(NOW, 2)] == ["dlv_6", "dlv_7"]
    assert [d.id for d in store.due_deliveries(NOW, 10)] == ["dlv_6", "dlv_7", "dlv_8"]


def test_nothing_due_is_an_empty_list(store):
    assert store.due_deliveries(NOW, 10) == []
    write(store, deliveries=[delivery("dlv_1", created_at=at(1), next_attempt_at=at(2000))])
    assert store.due_deliveries(NOW, 10) == []
