"""`last_sync` says when a POS sync last confirmed an item's count, changed or not: a client tells a
confirmed item from one never synced. Confirming writes only that field: no ledger entry, no new
version, no event."""
from __future__ import annotations

from conftest import events_of
from api.test_pos_sync import run


def by_sku(api) -> dict[str, dict]:
    return {i["sku"]: i for i in api.get("/api/v1/inventory", query={"limit": 200}).json["data"]}


def test_a_sync_confirms_unchanged_counts_without_a_change(pos, api, location, services):
    same = api.item(location["id"], sku="SAME", quantity=6)
    api.item(location["id"], sku="DIFF", quantity=48)
    api.item(location["id"], sku="UNLISTED", quantity=3)
    pos.rows[:] = [{"sku": "SAME", "quantity": 6, "updated_at": "2026-11-01T10:00:00Z"},
                   {"sku": "DIFF", "quantity": 40, "updated_at": "2026-11-01T10:00:00Z"}]
    connect_http(api, location, pos)
    assert {i["last_sync"] for i in by_sku(api).values()} == {None}  # never synced
    events_before, ledger_before = len(events_of(api)), api.changes(same["id"])

    first = run(api, services, location["id"])
    assert first["status"] == "succeeded" and first["summary"]["unchanged"] == 1
    items = by_sku(api)
    assert first["started_at"] <= items["SAME"]["last_sync"] <= first["finished_at"]
    assert first["started_at"] <= items["DIFF"]["last_sync"] <= first["finished_at"]
    assert items["UNLISTED"]["last_sync"] is None  # the POS did not confirm it
    # The confirmation is not a change: same version (ETag), same updated_at, no entry, no event.
    assert (items["SAME"]["version"], items["SAME"]["updated_at"]) == (same["version"], same["updated_at"])
    assert api.changes(same["id"]) == ledger_before
    new_events = events_of(api)[events_before:]
    assert [e["data"]["item"]["sku"] for e in new_events if e["type"] == "inventory.updated"] == ["DIFF"]

    # The same counts again: every listed item confirmed again, nothing else written.
    versions = {sku: i["version"] for sku, i in items.items()}
    again = run(api, services, location["id"])
    assert again["summary"]["unchanged"] == 2 and again["summary"]["updated"] == 0
    confirmed = by_sku(api)
    for sku in ("SAME", "DIFF"):
        assert confirmed[sku]["last_sync"] > items[sku]["last_sync"], sku
        assert again["started_at"] <= confirmed[sku]["last_sync"] <= again["finished_at"], sku
    assert {sku: i["version"] for sku, i in confirmed.items()} == versions
    assert [e["type"] for e in events_of(api)[events_before + len(new_events):]] == \
        ["inventory.sync.completed"]


def test_an_incremental_sync_confirms_the_rows_it_is_sent(pos, api, location, services):
    api.item(location["id"], sku="A", quantity=5)
    api.item(location["id"], sku="B", quantity=7)
    pos.rows[:] = [{"sku": "A", "quantity": 5, "updated_at": "2026-11-01T10:00:00Z"}]
    connect_http(api, location, pos)
    run(api, services, location["id"])
    pos.rows.append({"sku": "B", "quantity": 7, "updated_at": "2026-11-02T10:00:00Z"})
    incremental = run(api, services, location["id"], "incremental")
    assert incremental["summary"]["seen"] == 1 and incremental["summary"]["unchanged"] == 1
    items = by_sku(api)
    assert incremental["started_at"] <= items["B"]["last_sync"] <= incremental["finished_at"]
    assert items["A"]["last_sync"] < incremental["started_at"]  # not sent again: not confirmed again


def connect_http(api, location, pos):
    response = api.request("PUT", f"/api/v1/locations/{location['id']}/pos-connection",
                           {"kind": "http", "settings": {"base_url": pos.url}, "secret": pos.token})
    assert response.status == 200, response
    return response



def test_confirm_synced_sets_last_sync_only_on_every_store(api, location, services):
    """The port's contract: the items' last_sync and nothing else, on every store."""
    from datetime import datetime, timezone

    mine = [api.item(location["id"], sku=f"C-{n}", quantity=n + 1) for n in range(3)]
    at = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)

    def confirm(tx):
        tx.get_items(api.organization_id, [i["id"] for i in mine[:2]])
        tx.confirm_synced(api.organization_id, [mine[0]["id"], mine[1]["id"], mine[0]["id"]], at)

    services.store.transact(confirm)
    after = {i["id"]: services.store.get_item(api.organization_id, i["id"]) for i in mine}
    assert [after[i["id"]].last_sync for i in mine] == [at, at, None]
    for item in mine:
        kept = after[item["id"]].model_dump(exclude={"last_sync"})
        assert kept == {k: v for k, v in item.items() if k != "last_sync"}
