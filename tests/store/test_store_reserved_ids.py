"""An id of our shape that Firestore reserves (__.*__) is read as no document on every store,
not as an error (found by the Datawiz dialect's shop_id class test)."""
from __future__ import annotations

from .builders import ORG


def test_an_id_firestore_reserves_is_simply_not_found(store):
    # "__x__" has the shape of our ids; Firestore refuses to read such a document id.
    assert store.get_location(ORG, "__x__") is None and store.get_item(ORG, "__x__") is None
    assert store.transact(lambda tx: (tx.get_location(ORG, "__x__"), tx.get_item(ORG, "__x__"))) == (None, None)
