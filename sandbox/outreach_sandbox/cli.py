"""`outreach-sandbox serve`: run the emulator until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from outreach_sandbox.server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="outreach-sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the three vendor APIs on loopback")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    serve.add_argument("--seed", type=int, default=7)
    serve.add_argument("--scale", type=float, default=1.0)
    serve.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="60 makes a rate-limit minute last one real second",
    )
    serve.add_argument("--latency-ms", type=float, default=0.0)
    serve.add_argument("--rate-limits", action=argparse.BooleanOptionalAction, default=True)
    serve.add_argument("--port-file", type=Path, help="write the bound port here once listening")
    args = parser.parse_args(argv)

    server = SandboxServer(
        args.seed,
        args.scale,
        host=args.host,
        port=args.port,
        latency_ms=args.latency_ms,
        rate_limits=args.rate_limits,
        time_scale=args.time_scale,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    port = server.url.rsplit(":", 1)[1]
    if args.port_file:
        tmp = args.port_file.with_suffix(".tmp")
        tmp.write_text(port)
        tmp.replace(args.port_file)
    print(f"outreach-sandbox listening on {server.url}", flush=True)
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
