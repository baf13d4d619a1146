"""Records to stored rows and back (adapters/records.py, shared by both stores): a row read back
without validation is the record that was written, and a secret is stored sealed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from inventory.adapters.records import (SEALED, SealedRecords, _codec, _from_row_validated,
                                        _to_row_validated, from_row, to_row)
from inventory.domain.codes import ChangeSource, ReasonCode, RoomType, Scope, Unit
from inventory.domain.models import (ApiKey, Event, IdempotencyRecord, InventoryItem, LedgerEntry,
                                     Location, Organization)
from inventory.domain.sync import (ConnectorKind, PosConnection, RowError, SyncRun, SyncStatus,
                                   SyncSummary, SyncType)
from inventory.domain.webhooks import Delivery, DeliveryState, WebhookSubscription

NOW = datetime(2026, 3, 8, 9, 30, 15, 123456, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=3, microseconds=7)

RECORDS = [
    Organization(id="org_1", name="Green Leaf", created_at=NOW),
    ApiKey(id="key_1", organization_id="org_1", name="k", key_hash="ab" * 32,
           scopes=(Scope.INVENTORY_READ, Scope.WEBHOOKS_MANAGE), created_at=NOW),
    ApiKey(id="key_2", organization_id="org_1", name="k", key_hash="cd" * 32, scopes=(),
           created_at=NOW, revoked_at=LATER),
    Location(id="loc_1", organization_id="org_1", name="Denver", time_zone="America/Denver",
             created_at=NOW),
    Location(id="loc_2", organization_id="org_1", name="Shop 3", time_zone="America/Denver",
             code="3", created_at=NOW, square_room_type=RoomType.VAULT),
    InventoryItem(id="itm_1", organization_id="org_1", product_id="p", product_name="Blue Dream",
                  sku="BD", location_id="loc_1", room_type=RoomType.QUARANTINE, category="flower",
                  unit=Unit.GRAM, quantity=Decimal("1234.567"), reserved_quantity=Decimal("0.5"),
                  low_stock_threshold=Decimal("2000"), unit_cost=Decimal("12.3456"),
                  unit_price=Decimal("0"), last_sync=LATER, archived_at=LATER, created_at=NOW,
                  updated_at=LATER, version=12),
    InventoryItem(id="itm_2", organization_id="org_1", product_id="p", product_name="Gummies",
                  sku="G", location_id="loc_1", room_type=RoomType.SALES_FLOOR,
                  quantity=Decimal("100"), created_at=NOW, updated_at=NOW, version=1),
    InventoryItem(id="itm_3", organization_id="org_1", product_id="p", product_name="Pre-roll",
                  sku="PR", location_id="loc_1", room_type=RoomType.VAULT, quantity=Decimal("1"),
                  created_at=NOW, updated_at=NOW, version=2,
                  attributes={"thc": Decimal("21.50"), "tested": True, "lot": "7", "n": Decimal(3),
                              "tiny": Decimal("1E-30")}),
    LedgerEntry(id="chg_1", organization_id="org_1", item_id="itm_1", location_id="loc_1",
                quantity_change=Decimal("-3.5"), quantity_before=Decimal("10"),
                quantity_after=Decimal("6.5"), reason_code=ReasonCode.SALE, notes="n",
                source=ChangeSource.API, api_key_id="key_1", idempotency_key="i", item_version=4,
                occurred_at=NOW),
    LedgerEntry(id="chg_2", organization_id="org_1", item_id="itm_1", location_id="loc_2",
                quantity_change=Decimal("2"), quantity_before=Decimal("0"), quantity_after=Decimal("2"),
                reason_code=ReasonCode.TRANSFER, source=ChangeSource.TRANSFER, transfer_id="trf_1",
                item_version=1, occurred_at=NOW, recorded_at=LATER, reference_id="order-7",
                team_member_id="TM1", source_application={"product": "EXTERNAL_API", "name": "Till"}),
    Event(id="evt_1", organization_id="org_1", type="inventory.updated", subject_id="itm_1",
          occurred_at=NOW, data={"item": {"quantity": Decimal("6.5"), "room_type": "vault"},
                                 "change": None, "list": [1, "a", Decimal("0.001")]}),
    IdempotencyRecord(organization_id="org_1", api_key_id="key_1", key="k", fingerprint="f",
                      status=201, body='{"data":1}', created_at=NOW, expires_at=LATER),
    IdempotencyRecord(organization_id="org_1", api_key_id="key_1", key="k2", fingerprint="f",
                      status=201, body='{"data":{"secret":"whsec_y"}}', holds_secret=True,
                      created_at=NOW, expires_at=LATER),
    WebhookSubscription(id="whk_1", organization_id="org_1", url="https://example.com/h",
                        events=("inventory.updated", "*"), secret="whsec_x", created_at=NOW,
                        updated_at=LATER, deleted_at=None),
    Delivery(id="dlv_1", organization_id="org_1", subscription_id="whk_1", event_id="evt_1",
             event_type="inventory.updated", state=DeliveryState.DEAD, attempts=8,
             last_status_code=500, last_error="boom", next_attempt_at=LATER, lease_until=None,
             created_at=NOW, updated_at=LATER, delivered_at=None),
    PosConnection(organization_id="org_1", location_id="loc_1", kind=ConnectorKind.HTTP,
                  settings={"base_url": "https://pos.example"}, secret="s", archive_missing=True,
                  updated_at=NOW),
    SyncRun(id="syn_1", organization_id="org_1", location_id="loc_1", sync_type=SyncType.FULL,
            status=SyncStatus.SUCCEEDED, created_at=NOW, started_at=NOW, finished_at=LATER,
            summary=SyncSummary(seen=2, errors=[RowError(row=2, field="quantity", message="m")])),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_a_stored_row_reads_back_as_the_record_that_was_written(record):
    model = type(record)
    row = to_row(record)
    assert row == _to_row_validated(record)
    # As SQLite hands it back: a flag as 0 or 1.
    stored = {k: int(v) if isinstance(v, bool) else v for k, v in row.items()}
    read = from_row(model, stored)
    validated = _from_row_validated(model, stored)
    assert read == validated == record
    assert read.model_dump() == record.model_dump() and read.model_fields_set == validated.model_fields_set
    assert {n: type(v) for n, v in read.__dict__.items()} == {n: type(v) for n, v in validated.__dict__.items()}
    assert to_row(read) == row


@pytest.mark.parametrize("record", [r for r in RECORDS if type(r) in SEALED], ids=lambda r: type(r).__name__)
def test_a_record_holding_a_secret_is_stored_sealed_and_reads_back_whole(record):
    from inventory.adapters.secret_box import AesGcmSecretBox, SecretKeyError
    sealed = SealedRecords(AesGcmSecretBox(lambda: (b"k" * 32,)))
    spec = SEALED[type(record)]
    row = sealed.to_row(record)
    clear = getattr(record, spec.field)
    if getattr(record, spec.only_if or "", True):
        assert row[spec.field].startswith("sbx1.") and row[spec.field] != clear
        with pytest.raises(SecretKeyError):  # bound to its record
            sealed.box.open(row[spec.field], "another record")
    else:  # a replay record without a secret is stored as it is
        assert row[spec.field] == clear
    assert sealed.from_row(type(record), row) == record
    assert sealed.resealed(type(record), row) is None  # already under the current key


def test_the_records_a_sync_reads_and_writes_most_skip_validation():
    for model in (InventoryItem, LedgerEntry, Event, WebhookSubscription, Delivery, Location):
        assert _codec(model) is not None, f"{model.__name__} rows would be validated again on read"
