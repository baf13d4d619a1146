"""What sealing secrets at rest costs (AES-256-GCM, adapters/secret_box.py), measured in one run.

1. Per value: opening one sealed webhook secret (the first time, and again: the box remembers
   what it opened, by sealed value), and sealing one, vs signing one 1 KB webhook body with it
   (the HMAC every delivery computes anyway). Target: a first open <= 1x a signature.
2. Fan-out's read: the subscriptions of an organization with 100 of them, as the store reads them
   for every fan-out transaction (SQLite, secrets opened), vs the same query and record decoding
   without opening the secrets. Target: <= 1.5x.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from harness import metric, table
from inventory.adapters.records import from_row
from inventory.adapters.secret_box import AesGcmSecretBox
from inventory.adapters.sqlite import SqliteStore
from inventory.domain.signing import new_secret, signed_headers
from inventory.domain.webhooks import WebhookSubscription

ORG = "org_bench"


def per_call_us(work, repeat: int, rounds: int = 5) -> float:
    """Microseconds per call, the best of `rounds` timed loops."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeat):
            work()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20000)
    parser.add_argument("--subscriptions", type=int, default=100)
    args = parser.parse_args()

    box = AesGcmSecretBox(lambda: (os.urandom(32),))
    secret = new_secret()
    context = "webhook_subscription.secret\x1forg_bench\x1fwhk_1"
    sealed = box.seal(secret, context)
    body = "x" * 1024
    sign_us = per_call_us(lambda: signed_headers(secret, "evt_1", 1_700_000_000, body), args.repeat)
    open_us = per_call_us(lambda: box._open(sealed, context), args.repeat)  # never remembered
    again_us = per_call_us(lambda: box.open(sealed, context), args.repeat)
    seal_us = per_call_us(lambda: box.seal(secret, context), args.repeat)

    folder = Path(tempfile.mkdtemp(prefix="inventory-bench-secrets-"))
    store = SqliteStore(folder / "inventory.sqlite3", secret_box=box)
    now = datetime.now(timezone.utc)
    subscriptions = [WebhookSubscription(id=f"whk_{n:04d}", organization_id=ORG,
                                         url=f"https://hooks.example.com/{n}", events=("*",),
                                         secret=new_secret(), created_at=now, updated_at=now)
                     for n in range(args.subscriptions)]
    store.transact(lambda tx: [tx.save_subscription(s) for s in subscriptions])
    read = store.transact(lambda tx: tx.subscriptions_for(ORG, "inventory.updated"))
    assert [s.secret for s in read] == [s.secret for s in subscriptions]

    def sealed_read():
        store.transact(lambda tx: tx.subscriptions_for(ORG, "inventory.updated"))

    def plain_read():  # the same statement in the same kind of transaction, secrets left sealed
        store.transact(lambda tx: [from_row(WebhookSubscription, row) for row in tx._db.execute(
            "SELECT * FROM webhook_subscriptions WHERE organization_id = ? AND deleted_at IS NULL"
            " ORDER BY id", (ORG,)).fetchall()])

    # Alternating, so the machine's noise falls on both alike; the median of each.
    ours_runs, bare_runs = [], []
    for _ in range(max(20, args.repeat // 100)):
        ours_runs.append(per_call_us(sealed_read, 1, 1))
        bare_runs.append(per_call_us(plain_read, 1, 1))
    ours, bare = statistics.median(ours_runs), statistics.median(bare_runs)
    store.close()
    shutil.rmtree(folder)

    table("Secrets at rest (AES-256-GCM)", ["what", "µs", "vs"], [
        ["open one sealed webhook secret, first time", f"{open_us:.2f}", f"{open_us / sign_us:.2f}x signing a 1 KB body"],
        ["open it again (remembered)", f"{again_us:.2f}", f"{again_us / sign_us:.2f}x signing a 1 KB body"],
        ["seal one webhook secret", f"{seal_us:.2f}", f"{seal_us / sign_us:.2f}x signing a 1 KB body"],
        ["sign a 1 KB webhook body (baseline)", f"{sign_us:.2f}", ""],
        [f"read {args.subscriptions} subscriptions, secrets opened", f"{ours:.0f}",
         f"{ours / bare:.2f}x the same read unopened"],
        [f"read {args.subscriptions} subscriptions, unopened (baseline)", f"{bare:.0f}", ""],
    ])
    metric("secret_open_us", open_us, "us", sign_us, "<= 1x one webhook signature")
    metric("secret_open_again_us", again_us, "us", sign_us, "<= 1x one webhook signature")
    metric("secret_seal_us", seal_us, "us", sign_us, "<= 1x one webhook signature")
    metric("fan_out_subscription_read_us", ours, "us", bare, "<= 1.5x the read without opening")


if __name__ == "__main__":
    main()
