"""Sync runs on every store: queued runs oldest first, and the watermark an incremental sync resumes
from — the newest successful run's that recorded one, however many runs came after it."""
from __future__ import annotations

from inventory.domain.sync import SyncStatus

from .builders import LOCATION, ORG, OTHER_LOCATION, OTHER_ORG, at, sync_run, write

SUCCEEDED, FAILED, QUEUED, RUNNING = (SyncStatus.SUCCEEDED, SyncStatus.FAILED, SyncStatus.QUEUED,
                                      SyncStatus.RUNNING)


def test_no_successful_run_means_no_watermark(store):
    assert store.last_sync_watermark(ORG, LOCATION) is None
    write(store, runs=[sync_run("syn_1", created_at=at(1), status=FAILED),
                       sync_run("syn_2", created_at=at(2), watermark=None),
                       sync_run("syn_3", created_at=at(3), status=RUNNING)])
    assert store.last_sync_watermark(ORG, LOCATION) is None


def test_the_watermark_is_the_newest_successful_runs_however_many_runs_came_after_it(store):
    write(store, runs=[sync_run("syn_01", created_at=at(1), watermark="w-old"),
                       sync_run("syn_02", created_at=at(2), watermark="w-good", finished_at=at(3))])
    # Then many runs that leave no watermark: failures, and successes with nothing new.
    write(store, runs=[sync_run(f"syn_{n:02}", created_at=at(n),
                                status=FAILED if n % 2 else SUCCEEDED) for n in range(3, 15)])
    assert store.last_sync_watermark(ORG, LOCATION) == "w-good"
    # Newer runs of other locations and organizations are not this location's.
    write(store, runs=[sync_run("syn_90", created_at=at(90), watermark="elsewhere",
                                location_id=OTHER_LOCATION),
                       sync_run("syn_91", created_at=at(91), watermark="theirs",
                                organization_id=OTHER_ORG)])
    assert store.last_sync_watermark(ORG, LOCATION) == "w-good"
    write(store, runs=[sync_run("syn_20", created_at=at(20), watermark="w-new")])
    assert store.last_sync_watermark(ORG, LOCATION) == "w-new"


def test_the_newest_is_the_one_that_finished_last(store):
    write(store, runs=[sync_run("syn_1", created_at=at(1), finished_at=at(50), watermark="slow"),
                       sync_run("syn_2", created_at=at(2), finished_at=at(10), watermark="quick")])
    assert store.last_sync_watermark(ORG, LOCATION) == "slow"


def test_queued_runs_are_every_organizations_oldest_first(store):
    write(store, runs=[sync_run("syn_c", created_at=at(3), status=QUEUED),
                       sync_run("syn_a", created_at=at(1), status=QUEUED, location_id=OTHER_LOCATION),
                       sync_run("syn_x", created_at=at(0), status=RUNNING),
                       sync_run("syn_b", created_at=at(2), status=QUEUED, organization_id=OTHER_ORG),
                       sync_run("syn_d", created_at=at(3), status=QUEUED, location_id="loc_3")])
    assert [r.id for r in store.queued_sync_runs(10)] == ["syn_a", "syn_b", "syn_c", "syn_d"]
    assert [r.id for r in store.queued_sync_runs(2)] == ["syn_a", "syn_b"]
    assert store.queued_sync_runs(10)[0] == sync_run("syn_a", created_at=at(1), status=QUEUED,
                                                     location_id=OTHER_LOCATION)


def test_no_queued_run_is_an_empty_list(store):
    assert store.queued_sync_runs(10) == []
