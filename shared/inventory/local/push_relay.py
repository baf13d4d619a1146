"""Pub/Sub push as the cloud does it, for a topic where the emulator's push differs.

The emulator's push subscription sends a batch of messages and waits until every one of them is
answered before it sends the next batch, so one slow call holds up every message behind it.
Pub/Sub in the cloud keeps a window of concurrent pushes, of which a slow call takes one slot.
For the per-delivery topic, whose point is that a subscriber who hangs holds up nobody else,
the topology pulls from a subscription on the emulator and pushes each message itself, at once
and concurrently, with the body Pub/Sub pushes: a 2xx acks it; anything else hands it back for
redelivery after the subscription's minimum backoff (its dead-letter policy still applies).
"""
from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from .pubsub_emulator import PubSubEmulator

RETRY_AFTER_S = 1.0  # the push subscriptions' minimumBackoff


class PushRelay:
    def __init__(self, emulator: PubSubEmulator, subscription: str, endpoint: str,
                 ack_deadline_s: float = 60, window: int = 64):
        self.emulator, self.subscription, self.endpoint = emulator, subscription, endpoint
        self.ack_deadline_s = ack_deadline_s
        self._window = threading.BoundedSemaphore(window)
        self._pool = ThreadPoolExecutor(max_workers=window, thread_name_prefix=f"push-{subscription}")
        self._session = requests.Session()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"relay-{subscription}", daemon=True)

    def start(self) -> "PushRelay":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                received = self.emulator.pull(self.subscription, max_messages=100)
            except requests.RequestException as error:
                if not self._stop.is_set():
                    print(f"push relay {self.subscription}: pull failed: {error}", file=sys.stderr)
                    self._stop.wait(1)
                continue
            if not received:
                self._stop.wait(0.05)
            for message in received:
                self._window.acquire()  # no more calls out at once than the window
                self._pool.submit(self._push, message)

    def _push(self, received: dict) -> None:
        try:
            body = {"message": received["message"],
                    "subscription": f"projects/{self.emulator.project}/subscriptions/{self.subscription}"}
            try:
                answer = self._session.post(self.endpoint, json=body, timeout=self.ack_deadline_s)
                ok = 200 <= answer.status_code < 300
            except requests.RequestException:
                ok = False
            if ok:
                self.emulator.acknowledge(self.subscription, [received["ackId"]])
            else:
                time.sleep(RETRY_AFTER_S)
                self.emulator.nack(self.subscription, [received["ackId"]])
        except requests.RequestException as error:  # the emulator itself: it redelivers later
            print(f"push relay {self.subscription}: {error}", file=sys.stderr)
        finally:
            self._window.release()
