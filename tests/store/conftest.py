"""The store contract suite: every test here runs on each store adapter (SQLite, and Firestore on
Google's emulator) through the InventoryStore and Transaction ports alone, so a divergence between
the stores (an order, a cursor, an empty result, a watermark) fails on the store that has it."""
from __future__ import annotations

import pytest

from inventory import bootstrap


@pytest.fixture
def store(backend):
    """The store of this test's backend (tests/conftest.py), empty."""
    return bootstrap.services().store
