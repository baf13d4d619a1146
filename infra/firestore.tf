# Firestore in native mode and the composite indexes the store's queries need.
#
# Layout (every document also stores its own id as the field `id`, and organization_id):
#   items/{item_id}                     InventoryItem (+ low_stock stored for filtering)
#   items/{item_id}/ledger/{entry_id}   LedgerEntry
#   item_places, location_codes,        point-read lock documents (one active item per place,
#   sync_locks                          one location per code, one active sync per location)
#   events/{event_id}                   Event (+ sequence: commit order, published_at: outbox)
#   deliveries/{delivery_id}            Delivery
#   webhook_subscriptions, locations, api_keys, idempotency: point reads and
#   single-field queries only, which Firestore's automatic indexes serve.
#   idempotency/{hash}                  IdempotencyRecord (+ expires_at as a timestamp: TTL below)

resource "google_firestore_database" "main" {
  name                              = "(default)"
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"
}

locals {
  # name => where the query runs and its fields in index order ([field, ASCENDING|DESCENDING]).
  firestore_indexes = {
    # GET /inventory: organization and archived_at == null, any of the equality filters
    # (location_id, room_type, category, low_stock, sku, product_id), ordered by id. One index per filter; Firestore merges them for combined filters. A page
    # asked for by cursor starts after an id in the same order (start_after on `id`), so these
    # indexes serve it too.
    items_active = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["archived_at", "ASCENDING"], ["id", "ASCENDING"]]
    }
    items_by_location = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["location_id", "ASCENDING"], ["id", "ASCENDING"]]
    }
    items_by_room_type = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["room_type", "ASCENDING"], ["id", "ASCENDING"]]
    }
    items_by_category = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["category", "ASCENDING"], ["id", "ASCENDING"]]
    }
    items_by_low_stock = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["low_stock", "ASCENDING"], ["id", "ASCENDING"]]
    }
    items_by_sku = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["sku", "ASCENDING"], ["id", "ASCENDING"]]
    }
    items_by_product_id = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["product_id", "ASCENDING"], ["id", "ASCENDING"]]
    }
    # GET /inventory?updated_after=T: Firestore orders by the inequality's field after the
    # explicit order, so the list (ordered by id) reads (id, updated_at); its total is counted
    # on the same ordered query, so these serve it too. Again one index per equality filter,
    # merged for combined filters.
    items_active_changed_after = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["archived_at", "ASCENDING"], ["id", "ASCENDING"], ["updated_at", "ASCENDING"]]
    }
    items_by_location_changed_after = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["location_id", "ASCENDING"], ["id", "ASCENDING"], ["updated_at", "ASCENDING"]]
    }
    items_by_room_type_changed_after = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["room_type", "ASCENDING"], ["id", "ASCENDING"], ["updated_at", "ASCENDING"]]
    }
    items_by_category_changed_after = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["category", "ASCENDING"], ["id", "ASCENDING"], ["updated_at", "ASCENDING"]]
    }
    items_by_low_stock_changed_after = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["low_stock", "ASCENDING"], ["id", "ASCENDING"], ["updated_at", "ASCENDING"]]
    }
    items_by_sku_changed_after = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["sku", "ASCENDING"], ["id", "ASCENDING"], ["updated_at", "ASCENDING"]]
    }
    items_by_product_id_changed_after = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["product_id", "ASCENDING"], ["id", "ASCENDING"], ["updated_at", "ASCENDING"]]
    }
    # An item's ledger in effective order (when it happened, then recording order): the snapshot's
    # last entry at or before T (limit 1), so reads grow with the items; GET /inventory/{id}/changes
    # latest first.
    ledger_of_item_until = {
      collection = "ledger"
      scope      = "COLLECTION"
      fields     = [["occurred_at", "DESCENDING"], ["item_version", "DESCENDING"]]
    }
    # A backdated change: the item's entries after its instant, in effective order (ascending).
    ledger_of_item_after = {
      collection = "ledger"
      scope      = "COLLECTION"
      fields     = [["occurred_at", "ASCENDING"], ["item_version", "ASCENDING"]]
    }
    # Datawiz's collection: a page of the organization's stock rows by date (date, shop,
    # product) or by product (product, shop, date), either way round (store.stock_rows_page).
    stock_rows_by_date = {
      collection = "stock_rows"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["date", "ASCENDING"], ["location_id", "ASCENDING"], ["product_id", "ASCENDING"]]
    }
    stock_rows_by_date_reversed = {
      collection = "stock_rows"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["date", "DESCENDING"], ["location_id", "DESCENDING"], ["product_id", "DESCENDING"]]
    }
    stock_rows_by_product = {
      collection = "stock_rows"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["product_id", "ASCENDING"], ["location_id", "ASCENDING"], ["date", "ASCENDING"]]
    }
    stock_rows_by_product_reversed = {
      collection = "stock_rows"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["product_id", "DESCENDING"], ["location_id", "DESCENDING"], ["date", "DESCENDING"]]
    }
    # Square's counts: active items most recently updated first (store.items_by_update), of an
    # organization's sales floors, by product and/or location; Firestore merges these four
    # (same orders) into whichever equality filters a query has.
    items_by_update = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["archived_at", "ASCENDING"], ["updated_at", "DESCENDING"], ["id", "DESCENDING"]]
    }
    items_by_update_in_room = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["room_type", "ASCENDING"], ["updated_at", "DESCENDING"], ["id", "DESCENDING"]]
    }
    items_by_update_of_product = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["product_id", "ASCENDING"], ["updated_at", "DESCENDING"], ["id", "DESCENDING"]]
    }
    items_by_update_at_location = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["location_id", "ASCENDING"], ["updated_at", "DESCENDING"], ["id", "DESCENDING"]]
    }
    # Square's changes: each item's ledger by (occurred_at, id), oldest first for batch-retrieve,
    # newest first for one catalog object's, from a keyset cursor (store.ledger_by_time).
    ledger_of_item_by_time_id = {
      collection = "ledger"
      scope      = "COLLECTION"
      fields     = [["occurred_at", "ASCENDING"], ["id", "ASCENDING"]]
    }
    ledger_of_item_by_time_id_newest_first = {
      collection = "ledger"
      scope      = "COLLECTION"
      fields     = [["occurred_at", "DESCENDING"], ["id", "DESCENDING"]]
    }
    # Snapshot: the location's items (any room/category filter), in id order.
    items_at_location_all = {
      collection = "items"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["location_id", "ASCENDING"], ["room_type", "ASCENDING"], ["id", "ASCENDING"]]
    }
    # Local worker / run_sync: queued runs oldest first; incremental sync: the last good watermark.
    sync_runs_queued = {
      collection = "sync_runs"
      scope      = "COLLECTION"
      fields     = [["status", "ASCENDING"], ["created_at", "ASCENDING"]]
    }
    sync_runs_last_success = {
      collection = "sync_runs"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["location_id", "ASCENDING"], ["status", "ASCENDING"], ["finished_at", "DESCENDING"]]
    }
    # GET /events: the organization's events in commit order, optionally of some types.
    events_in_order = {
      collection = "events"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["sequence", "ASCENDING"]]
    }
    events_of_types_in_order = {
      collection = "events"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["type", "ASCENDING"], ["sequence", "ASCENDING"]]
    }
    # Outbox relay: unpublished events (they alone hold relay_shard), in commit order. One
    # growing range per shard rather than one for every organization (see the field overrides).
    events_unpublished_by_shard = {
      collection = "events"
      scope      = "COLLECTION"
      fields     = [["relay_shard", "ASCENDING"], ["sequence", "ASCENDING"]]
    }
    # Fan-out sweep (retry timer): published events whose deliveries were never made (they
    # alone hold fan_out_shard), published before a bound.
    events_not_fanned_out_by_shard = {
      collection = "events"
      scope      = "COLLECTION"
      fields     = [["fan_out_shard", "ASCENDING"], ["published_at", "ASCENDING"]]
    }
    # Retry timer: pending deliveries whose next attempt is due.
    deliveries_due = {
      collection = "deliveries"
      scope      = "COLLECTION"
      fields     = [["state", "ASCENDING"], ["next_attempt_at", "ASCENDING"]]
    }
    # Delivery log of one subscription, newest first.
    deliveries_of_subscription = {
      collection = "deliveries"
      scope      = "COLLECTION"
      fields     = [["organization_id", "ASCENDING"], ["subscription_id", "ASCENDING"], ["created_at", "DESCENDING"], ["id", "DESCENDING"]]
    }
  }
}

# Write ceilings. Firestore sustains about 500 writes/s into an index whose values grow with time
# (best practices, "High read, write, and delete rates to a narrow document range"); the
# automatic single-field indexes of an events document's growing fields would make one such
# range for every organization together. No query needs them (every events query uses a
# composite index above), so they are exempted. What remains grows per range:
#   (organization_id, sequence), (organization_id, type, sequence): one range per organization
#   (relay_shard, sequence): one range per shard (16), and only while the event is unpublished;
#   (fan_out_shard, published_at): the same, only until the event's deliveries are made.
# The document ids (evt_<ULID>) still grow with time: see infra/README.md, "Write ceilings".
resource "google_firestore_field" "events_unindexed" {
  for_each = toset(["sequence", "occurred_at", "published_at", "fanned_out_at", "id", "data"])

  database   = google_firestore_database.main.name
  collection = "events"
  field      = each.value

  # An empty index_config turns off every single-field index of the field.
  index_config {}
}

resource "google_firestore_index" "index" {
  for_each = local.firestore_indexes

  database    = google_firestore_database.main.name
  collection  = each.value.collection
  query_scope = each.value.scope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value[0]
      order      = fields.value[1]
    }
  }
}

# The Square dialect reads one ledger entry by id alone (GET /v2/inventory/adjustments/{id}):
# a collection-group equality query on `ledger.id`, which needs the collection-group scope of
# that field's single-field index (Firestore keeps only the collection scope by default).
resource "google_firestore_field" "ledger_id" {
  database   = google_firestore_database.main.name
  collection = "ledger"
  field      = "id"

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}

# ... and a transfer's two entries by the transfer's id (GET /v2/inventory/transfers/{id}, and
# a transfer's legs shown as one Square TRANSFER change): the same scope for `ledger.transfer_id`.
resource "google_firestore_field" "ledger_transfer_id" {
  database   = google_firestore_database.main.name
  collection = "ledger"
  field      = "transfer_id"

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION"
    }
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}

# Replay records expire (service/unit_of_work.py; INVENTORY_IDEMPOTENCY_TTL_S, 24 hours by
# default): the TTL policy deletes a record once the timestamp in its `expires_at` has passed,
# typically within a day after. Until then the service reads an expired record as absent, so
# the key is a new request on the dot. No query reads the field, so its single-field indexes
# are turned off (an index on a timestamp that grows with time only adds a write hotspot).
resource "google_firestore_field" "idempotency_expiry" {
  database   = google_firestore_database.main.name
  collection = "idempotency"
  field      = "expires_at"

  ttl_config {}
  index_config {}
}
