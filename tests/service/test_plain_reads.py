"""Plain reads never open a write transaction: subscriptions, deliveries, POS connections and
sync runs are read with the store's read methods, scoped to the caller's organization."""
from __future__ import annotations

import pytest

from pos_server import PosServer


class ReadOnly:
    """The store, refusing every transaction: only its read methods answer."""

    def __init__(self, store):
        self._store = store

    def transact(self, work):
        raise AssertionError("a plain read opened a transaction")

    def __getattr__(self, name):
        return getattr(self._store, name)


@pytest.fixture
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_LOOPBACK", "1")


def test_reads_answer_without_a_transaction_and_only_to_their_organization(
        loopback_allowed, services, api, other_api, location):
    pos = PosServer([])
    try:
        connected = api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                                {"kind": "http", "settings": {"base_url": pos.url}, "secret": "t"})
        assert connected.status == 200, connected
        run = api.post("/api/v1/inventory/sync", {"location_id": location["id"],
                                                  "sync_type": "full"}).json["data"]
        hook = api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/hook",
                                             "events": ["*"]}).json["data"]
    finally:
        pos.stop()
    reads = [f"/api/v1/locations/{location['id']}/pos-connection",
             f"/api/v1/inventory/sync/{run['id']}", "/api/v1/webhooks",
             f"/api/v1/webhooks/{hook['id']}", f"/api/v1/webhooks/{hook['id']}/deliveries"]
    writes = services.store
    services.store = ReadOnly(writes)
    try:
        answers = {path: api.get(path) for path in reads}
        elsewhere = {path: other_api.get(path) for path in reads}
    finally:
        services.store = writes
    assert {path: r.status for path, r in answers.items()} == dict.fromkeys(reads, 200)
    assert answers[reads[0]].json["data"]["has_secret"] is True
    assert "secret" not in answers[reads[3]].json["data"]
    assert answers[reads[1]].json["data"]["id"] == run["id"]
    assert {path: r.status for path, r in elsewhere.items()} == {
        reads[0]: 404, reads[1]: 404, reads[2]: 200, reads[3]: 404, reads[4]: 404}
    assert elsewhere[reads[2]].json["data"] == []
