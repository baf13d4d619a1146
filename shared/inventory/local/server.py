"""`python -m inventory.local.server`: every HTTP function on 127.0.0.1, on the embedded store."""
from __future__ import annotations

import argparse
import os
import sys

from werkzeug.serving import run_simple

from .. import bootstrap
from ..http.server_refusals import EnvelopeRequestHandler
from .demo import demo_banner, ensure_demo
from .gateway import Gateway
from .worker import DeliveryWorker


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8080)))
    parser.add_argument("--no-demo", action="store_true", help="do not create the demo data")
    args = parser.parse_args(argv)

    services = bootstrap.services()
    gateway = Gateway()
    print(f"inventory API: store={services.settings.store} data={services.settings.data_dir}",
          file=sys.stderr)
    if not args.no_demo:
        key = ensure_demo(services, services.settings.data_dir / "demo-api-key")
        print(demo_banner(services, key), file=sys.stderr)
    worker = DeliveryWorker(services).start()
    print(f"listening on http://{args.host}:{args.port}/api/v1/inventory", file=sys.stderr)
    sys.stderr.flush()
    try:
        run_simple(args.host, args.port, gateway, threaded=True, use_reloader=False,
                   request_handler=EnvelopeRequestHandler)
    finally:
        worker.stop()


if __name__ == "__main__":
    main()
