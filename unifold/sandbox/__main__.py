"""``python -m unifold.sandbox serve <integration> --port N [--host 127.0.0.1]``."""

from __future__ import annotations

import argparse
import sys

from unifold._accounts import is_loopback
from unifold.sandbox import INTEGRATIONS, SANDBOX_CREDENTIALS, asgi_app, create_provider


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unifold.sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve one provider emulator over HTTP on loopback")
    serve.add_argument("integration", choices=INTEGRATIONS)
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    serve.add_argument("--log-level", default="warning", help="uvicorn log level")
    serve.add_argument(
        "--rate-limit-window",
        type=float,
        metavar="SECONDS",
        help="answer 429 past the provider's limit, counted over this window (e.g. 1 for "
        "Teamleader's 200 per second instead of per minute)",
    )
    args = parser.parse_args(argv)

    if not is_loopback(args.host):
        print(
            f"refusing to serve on {args.host!r}: the sandbox accepts fixed, public credentials, "
            "so it only listens on a loopback address (127.0.0.1, ::1 or localhost)",
            file=sys.stderr,
        )
        return 2
    try:
        import uvicorn
    except ImportError:
        print("uvicorn is required: pip install 'unifold[serve]'", file=sys.stderr)
        return 1

    provider = create_provider(args.integration)
    if args.rate_limit_window is not None:
        provider.enforce_limits(args.rate_limit_window)
    base = provider.base_path
    print(
        f"unifold sandbox: {args.integration} on http://{args.host}:{args.port}{base} "
        f"credentials={SANDBOX_CREDENTIALS[args.integration]}",
        flush=True,
    )
    uvicorn.run(asgi_app(provider), host=args.host, port=args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
