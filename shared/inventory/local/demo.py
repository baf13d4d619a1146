"""The demo organization: a location, a key with every scope, and a handful of items."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ..domain.commands import CreateItem, CreateLocation
from ..service import items, locations
from ..service.admin import create_api_key, create_organization
from ..service.auth import Actor, authenticate
from ..service.ports import Services
from ..service.unit_of_work import WITHOUT_KEY
from ..domain.errors import Unauthenticated

DEMO_ITEMS = [
    dict(product_id="prod_blue_dream", product_name="Blue Dream 3.5g", sku="BD-35",
         room_type="sales_floor", category="flower", unit="each", quantity=48,
         low_stock_threshold=10, unit_cost=Decimal("12.50"), unit_price=Decimal("35.00")),
    dict(product_id="prod_blue_dream_bulk", product_name="Blue Dream (bulk)", sku="BD-BULK",
         room_type="vault", category="flower", unit="g", quantity=Decimal("1250.5"),
         low_stock_threshold=200, unit_cost=Decimal("3.10"), unit_price=None),
    dict(product_id="prod_gummies", product_name="Mango Gummies 10pk", sku="MG-10",
         room_type="sales_floor", category="edibles", unit="each", quantity=6,
         low_stock_threshold=12, unit_cost=Decimal("8.00"), unit_price=Decimal("20.00")),
    dict(product_id="prod_vape_og", product_name="OG Kush Vape 1g", sku="OGV-1",
         room_type="quarantine", category="vapes", unit="each", quantity=20,
         low_stock_threshold=None, unit_cost=Decimal("15.00"), unit_price=Decimal("40.00")),
]


def ensure_demo(services: Services, key_file: Path) -> str:
    """Return the demo API key, creating the demo organization and data on first run."""
    if key_file.exists():
        secret = key_file.read_text().strip()
        try:
            authenticate(services.store, f"Bearer {secret}")
            return secret
        except Unauthenticated:
            pass
    organization = create_organization(services, "Demo Dispensary")
    key, secret = create_api_key(services, organization.id, "demo key")
    actor = Actor(organization.id, key.id, frozenset(key.scopes))
    location = locations.create_location(
        services, actor, CreateLocation(name="Denver — Colfax", time_zone="America/Denver"),
        WITHOUT_KEY).result.location
    for spec in DEMO_ITEMS:
        items.create_item(services, actor, CreateItem(location_id=location.id, **spec), WITHOUT_KEY)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(secret + "\n")
    key_file.chmod(0o600)
    return secret


def demo_banner(services: Services, secret: str) -> str:
    """The startup lines for the demo: its key, its organization and that organization's POS folder."""
    organization_id = authenticate(services.store, f"Bearer {secret}").organization_id
    folder = services.settings.pos_file_root / organization_id
    return (f"demo API key: {secret}\n"
            f"demo organization: {organization_id} (its POS file exports go in {folder}/)")
