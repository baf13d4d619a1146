"""`inventory-admin`: create organizations, locations and API keys, set an organization's
Idempotency-Key requirement, load the demo data, and rotate the key that seals stored secrets."""
from __future__ import annotations

import argparse
import sys
import uuid

from . import bootstrap
from .domain.codes import Scope
from .domain.commands import CreateLocation
from .domain.errors import InvalidInput, NotFound
from .service import locations
from .service.admin import (create_api_key, create_organization, require_idempotency_key,
                            set_backdating_window)
from .service.auth import Actor
from .service.unit_of_work import Idempotency, Reply


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inventory-admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    org = commands.add_parser("create-organization", help="a new organization and its first key")
    org.add_argument("name")
    org.add_argument("--require-idempotency-key", action="store_true",
                     help="refuse writes sent without an Idempotency-Key (400)")
    settings = commands.add_parser("set-organization", help="change an organization's settings")
    settings.add_argument("organization_id")
    settings.add_argument("--require-idempotency-key", choices=["yes", "no"],
                          help="yes: writes without an Idempotency-Key are refused (400); "
                               "no: each is applied once per request")
    settings.add_argument("--backdating-window-days", type=int, metavar="DAYS",
                          help="how far back a change's occurred_at may reach (default 35; "
                               "0: every change happens now)")
    key = commands.add_parser("create-key", help="a new API key for an organization")
    key.add_argument("organization_id")
    key.add_argument("--name", default="api key")
    key.add_argument("--scope", action="append", choices=[s.value for s in Scope],
                     help="repeat for several; default: every scope")
    loc = commands.add_parser("create-location", help="a location with its IANA time zone")
    loc.add_argument("organization_id")
    loc.add_argument("name")
    loc.add_argument("time_zone", help="for example America/Denver")
    commands.add_parser("demo", help="create the demo organization and print its key")
    commands.add_parser("new-secret-key", help="print a new key for the ring that seals stored "
                        "secrets (INVENTORY_WEBHOOK_SECRET_KEY or DATA_DIR/secret-keys)")
    commands.add_parser("reencrypt-secrets", help="seal every stored secret under the ring's "
                        "first key, so older keys can be dropped from the ring")
    args = parser.parse_args(argv)

    if args.command == "new-secret-key":
        from .adapters.secret_box import new_key
        print(new_key())
        return 0
    services = bootstrap.services()
    if args.command == "create-organization":
        organization = create_organization(services, args.name, args.require_idempotency_key)
        _, secret = create_api_key(services, organization.id, "first key")
        print(f"organization: {organization.id}\napi key (shown once): {secret}\n"
              f"{_idempotency_setting(organization.require_idempotency_key)}")
    elif args.command == "set-organization":
        if args.require_idempotency_key is None and args.backdating_window_days is None:
            parser.error("set-organization needs --require-idempotency-key or --backdating-window-days")
        try:
            if args.backdating_window_days is not None:  # first: the one that may be refused
                set_backdating_window(services, args.organization_id, args.backdating_window_days)
            if args.require_idempotency_key is not None:
                require_idempotency_key(services, args.organization_id,
                                        args.require_idempotency_key == "yes")
        except (NotFound, InvalidInput) as refused:
            print(refused.message, file=sys.stderr)
            return 1
        organization = services.store.get_organization(args.organization_id)
        print(f"organization: {organization.id}\n"
              f"{_idempotency_setting(organization.require_idempotency_key)}\n"
              f"backdating window: {organization.backdating_window_days} days")
    elif args.command == "create-key":
        scopes = tuple(Scope(s) for s in args.scope) if args.scope else tuple(Scope)
        created, secret = create_api_key(services, args.organization_id, args.name, scopes)
        print(f"api key {created.id} (shown once): {secret}")
    elif args.command == "create-location":
        actor = Actor(args.organization_id, "cli", frozenset(Scope))
        # With a key of its own, so that an organization that requires keys takes it too; the
        # reply kept with it is the API's (POST /api/v1/locations).
        from .http import replies
        outcome = locations.create_location(
            services, actor, CreateLocation(name=args.name, time_zone=args.time_zone),
            Idempotency(f"cli-{uuid.uuid4()}", "cli",
                        render=lambda result: Reply(201, replies.location(result))))
        print(f"location: {outcome.result.location.id}")
    elif args.command == "demo":
        from .local.demo import ensure_demo
        print(ensure_demo(services, services.settings.data_dir / "demo-api-key"))
    elif args.command == "reencrypt-secrets":
        rewritten = services.store.reencrypt_secrets()
        print(f"{rewritten} secrets sealed again under the ring's first key")
    return 0


def _idempotency_setting(required: bool) -> str:
    return f"Idempotency-Key: {'required' if required else 'optional'}"


if __name__ == "__main__":
    sys.exit(main())
