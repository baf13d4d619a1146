"""`python -m inventory.local.server`: every HTTP function on one port, on the embedded store, served
by gunicorn (worker processes with a pool of threads each); the background work runs in one of them."""
from __future__ import annotations

import argparse
import gc
import os
import socket
import sys
import traceback


def parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(prog="python -m inventory.local.server", description=__doc__)
    options.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    options.add_argument("--port", type=int, default=os.environ.get("PORT", "8080"),
                         help="the port to listen on (default: $PORT, else 8080)")
    options.add_argument("--no-demo", action="store_true", help="do not create the demo data")
    options.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    options.add_argument("--threads", type=int, default=8, help="threads per worker (default 8)")
    return options


def main(argv: list[str] | None = None) -> None:
    # The recipe of Python's gc.freeze for a process that forks without exec: the collector stays
    # off while this process loads what the workers share (a quicker start, and no freed holes in
    # shared pages); gunicorn_app freezes it all before each fork and turns the collector back on.
    # So the package's modules are imported in the functions below, not at the top.
    gc.disable()
    options = parser()
    args = options.parse_args(argv)
    if args.workers < 1 or args.threads < 1:
        options.error("--workers and --threads must be at least 1")

    listener = bind(args.host, args.port)  # first, so a taken port fails before anything else
    preparing = prepare_store(args.no_demo)
    from .gunicorn_app import LocalServer  # gunicorn and every function: loaded once, here
    url = f"http://{f'[{args.host}]' if ':' in args.host else args.host}:{args.port}/api/v1/inventory"

    def announce() -> None:  # gunicorn's when_ready: the socket listens, workers fork next
        print(f"listening on {url} ({args.workers} workers x {args.threads} threads)", file=sys.stderr)
        sys.stderr.flush()

    server = LocalServer(listener.detach(), args.workers, args.threads, announce)
    server.wsgi()
    wait_for_store(preparing)
    server.run()


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port`, or exit with why not. gunicorn makes it listen once it is
    ready to serve; until then a connection is refused, not left waiting."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        bound = socket.socket(family, kind, protocol)
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
        bound.bind(address)
        return bound
    except OSError as error:
        sys.exit(f"cannot listen on {host}:{port}: {error.strerror or error} "
                 f"(choose another with --port or PORT)")


def prepare_store(no_demo: bool) -> int | None:
    """Create or migrate the store and load the demo, printing its key, before gunicorn forks. The
    workers must not inherit a connection or a client's threads: the embedded store is opened here
    and closed again; any other (Firestore's client runs gRPC threads) is prepared in a short-lived
    child process, whose pid this returns."""
    from .. import bootstrap
    if bootstrap.settings().store == "sqlite":
        services = open_store_and_demo(no_demo)
        services.store.close()  # the connections; each worker opens its own
        bootstrap.reset()
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        open_store_and_demo(no_demo)
        status = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def open_store_and_demo(no_demo: bool):
    """The services on a created or migrated store, with the demo loaded unless told not to."""
    from .. import bootstrap
    from .demo import demo_banner, ensure_demo
    services = bootstrap.services()
    print(f"inventory API: store={services.settings.store} data={services.settings.data_dir}",
          file=sys.stderr)
    if not no_demo:
        key = ensure_demo(services, services.settings.data_dir / "demo-api-key")
        print(demo_banner(services, key), file=sys.stderr)
    sys.stderr.flush()
    return services


def wait_for_store(pid: int | None) -> None:
    """Wait for the child that prepares the store, if there is one; exit if it failed."""
    if pid is None:
        return
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("the store could not be prepared (see above)")


if __name__ == "__main__":
    main()
