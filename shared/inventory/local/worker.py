"""The embedded mode's background work, in process, on two threads that never wait for each other:
- syncs: queued POS syncs, the sweep of runs whose worker was lost, the sync timer, and the sweep
  of expired replay records;
- deliveries: the outbox relay, and webhook deliveries, each claimed and posted on a pool
  thread of its own, so a slow or failing subscriber holds only its own posts.

State lives in SQLite (published marks, delivery rows, sync runs and their leases), so stopping
the process at any point loses nothing: the next start relays what was left, retries what was
due, and fails the syncs it was running once their lease runs out.
"""
from __future__ import annotations

import heapq
import logging
import queue
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from ..domain.sync import SyncType
from ..domain.webhooks import Delivery
from ..service import delivery, outbox, sync, unit_of_work
from ..service.ports import Services

_log = logging.getLogger(__name__)

REPLAY_SWEEP_S = 600.0  # how often expired replay records are deleted (they are ignored already)


class DeliveryWorker:
    def __init__(self, services: Services, poll_s: float = 0.5):
        self.services = services
        self.poll_s = poll_s
        settings = services.settings
        self.concurrency = max(1, settings.webhook_concurrency)
        self.per_subscription = max(1, min(settings.webhook_subscriber_concurrency, self.concurrency))
        self._stop = threading.Event()
        # Set by a publish (new deliveries) and by each post's answer.
        self._wake = getattr(services.publisher, "wake", None) or threading.Event()
        self._next_scheduled_sync = 0.0
        self._next_sweep = 0.0
        self._next_replay_sweep = 0.0
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="webhook")
        self._answers: queue.SimpleQueue[tuple[delivery.Claimed, delivery.Settle]] = queue.SimpleQueue()
        self._in_flight: Counter[str] = Counter()  # posts out, by subscription id
        self._retries: list[datetime] = []  # a heap of the retry times this worker scheduled
        self._threads = [threading.Thread(target=self._run_syncs, name="sync-worker", daemon=True),
                         threading.Thread(target=self._run_deliveries, name="delivery-worker",
                                          daemon=True)]

    def start(self) -> "DeliveryWorker":
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- syncs ---------------------------------------------------------------------------------
    def sync_once(self) -> None:
        """Sweep lost runs and expired replay records, work the queued runs (each to its end, on
        this thread), run the timer."""
        if time.monotonic() >= self._next_sweep:  # a lost run is also failed by the next request
            sync.sweep_lost_runs(self.services)
            self._next_sweep = time.monotonic() + self.services.settings.sync_lease_s / 3
        if time.monotonic() >= self._next_replay_sweep:
            unit_of_work.delete_expired_replays(self.services)
            self._next_replay_sweep = time.monotonic() + REPLAY_SWEEP_S
        for run in self.services.store.queued_sync_runs(10):
            if self._stop.is_set():
                return
            sync.run_sync(self.services, run.id)
        interval = self.services.settings.sync_interval_s
        if interval and time.monotonic() >= self._next_scheduled_sync:
            sync.schedule_syncs(self.services, SyncType.INCREMENTAL)
            self._next_scheduled_sync = time.monotonic() + interval

    def _run_syncs(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync_once()
            except Exception:  # keep serving; the next turn retries from durable state
                _log.exception("sync worker turn failed")
            self._stop.wait(self.poll_s)

    # -- deliveries ----------------------------------------------------------------------------
    def deliver_once(self, relay: bool = True) -> None:
        """Record the answers that came in, relay leftovers, and start every due delivery there
        is room for."""
        self._record_answers()
        if relay:
            outbox.relay_pending(self.services)
        self._start_due()

    def _run_deliveries(self) -> None:
        next_relay = 0.0
        while not self._stop.is_set():
            # The relay is for events a failed publish left behind, so it runs once a poll period,
            # not on each wake-up: a publish wakes the worker just before marking its events
            # published, and a relay then would fan them out a second time.
            relay = time.monotonic() >= next_relay
            if relay:
                next_relay = time.monotonic() + self.poll_s
            try:
                self.deliver_once(relay)
            except Exception:  # keep serving; the next turn retries from durable state
                _log.exception("delivery worker turn failed")
            self._wake.wait(self._until_next_turn())
            self._wake.clear()

    def _until_next_turn(self) -> float:
        """The poll period, or less when a retry this worker scheduled comes due sooner, so
        retries keep to their schedule."""
        now = self.services.clock.now()
        came_due = False
        while self._retries and self._retries[0] <= now:  # due by now: the next turn starts it
            heapq.heappop(self._retries)
            came_due = True
        if came_due:
            return 0.0
        if not self._retries:
            return self.poll_s
        return min(self.poll_s, (self._retries[0] - now).total_seconds())

    def _start_due(self) -> None:
        """Claim due deliveries, at most `per_subscription` out for one subscription and twice
        `concurrency` in all (so a pool thread that finishes a post takes the next at once), and
        hand each to the pool to be posted on a thread of its own."""
        limit = 2 * self.concurrency
        while not self._stop.is_set():
            out = sum(self._in_flight.values())
            room = limit - out
            if room <= 0:
                return
            full = {s for s, n in self._in_flight.items() if n >= self.per_subscription}
            found = delivery.due(self.services, room * 4, skip_subscriptions=full)
            chosen, taken = [], Counter()
            for candidate in found:
                s = candidate.subscription_id
                if len(chosen) < room and self._in_flight[s] + taken[s] < self.per_subscription:
                    chosen.append(candidate.id)
                    taken[s] += 1
            lease = delivery.lease_for(out + len(chosen), self.concurrency,
                                       self.services.settings.webhook_timeout_s)
            for claimed in delivery.claim(self.services, chosen, lease):
                self._in_flight[claimed.delivery.subscription_id] += 1
                self._pool.submit(self._post, claimed)
            if len(found) < room * 4 or not chosen:
                return  # nothing more is due, or what is due must wait for room

    def _post(self, claimed: delivery.Claimed) -> None:
        try:
            settle = delivery.attempt(self.services, claimed)
        except Exception as error:  # recorded as a failed attempt, retried on the schedule
            _log.exception("posting delivery %s failed", claimed.delivery.id)
            message = f"{type(error).__name__}: {error}"[:300]
            settle = delivery.failed(self.services, message)
        self._answers.put((claimed, settle))
        self._wake.set()

    def _record_answers(self) -> None:
        """Every answer that came in since the last turn, recorded in one transaction."""
        answers = []
        while True:
            try:
                answers.append(self._answers.get_nowait())
            except queue.Empty:
                break
        if not answers:
            return
        try:
            recorded = delivery.record(self.services, [(c.delivery, settle) for c, settle in answers])
        finally:
            for claimed, _ in answers:  # recorded, or left leased for a later retry
                subscription = claimed.delivery.subscription_id
                self._in_flight[subscription] -= 1
                if self._in_flight[subscription] <= 0:
                    del self._in_flight[subscription]
        self._note_retries(recorded)

    def _note_retries(self, recorded: list[Delivery]) -> None:
        for done in recorded:
            if done.next_attempt_at is not None:
                heapq.heappush(self._retries, done.next_attempt_at)
