"""The `unifold` command: `unifold serve` and `unifold tokens create|list|revoke`."""

from __future__ import annotations

import argparse
import os
import sys

STORE_HELP = (
    "the account store: a SQLite path or a postgresql:// URL (default: $UNIFOLD_DATABASE_URL, "
    "else $UNIFOLD_STORE, else ~/.unifold/accounts.sqlite3)"
)


def _store(args: argparse.Namespace) -> str:
    from unifold._accounts import default_location

    return str(args.store or default_location())


def serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        print("unifold serve needs the server extra: pip install 'unifold[serve]'", file=sys.stderr)
        return 1
    if _store(args) == ":memory:":
        print(
            "unifold serve needs a store that `unifold tokens create` can reach too "
            "(a SQLite file or a postgresql:// URL), not :memory:",
            file=sys.stderr,
        )
        return 2
    from unifold._accounts import open_store
    from unifold.server.app import MAX_BODY_ENV, STORE_ENV

    # Open (create or migrate) the store once here, so workers start on a ready schema and a
    # bad location or key fails now, with a message, not in every worker.
    open_store(_store(args)).close()
    # Each worker process builds its own app from these (uvicorn imports the factory).
    os.environ[STORE_ENV] = _store(args)
    os.environ[MAX_BODY_ENV] = str(args.max_body_bytes)
    uvicorn.run(
        "unifold.server.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
    )
    return 0


def tokens(args: argparse.Namespace) -> int:
    from unifold._accounts import open_store

    store = open_store(_store(args))
    try:
        if args.action == "create":
            token, plaintext = store.create_token(args.tenant, args.name)
            print(f"token {token.id} for tenant {token.tenant!r} (shown once, store it now):")
            print(
                plaintext
            )  # the last line, for scripts: TOKEN=$(unifold tokens create ... | tail -1)
        elif args.action == "list":
            for token in store.list_tokens(args.tenant):
                state = f"revoked {token.revoked_at}" if token.revoked_at else "active"
                print(
                    f"{token.id}\t{token.tenant}\t{token.name or ''}\t{token.created_at}\t{state}"
                )
        else:
            if not store.revoke_token(args.id):
                print(f"no active token with id {args.id!r}", file=sys.stderr)
                return 1
            print(f"revoked {args.id}")
    finally:
        store.close()
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="unifold", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="serve the unified API over HTTP")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=1)
    run.add_argument("--store", help=STORE_HELP)
    run.add_argument("--max-body-bytes", type=int, default=1024 * 1024)
    run.add_argument("--log-level", default="info")
    run.set_defaults(handler=serve)

    tok = commands.add_parser("tokens", help="API tokens of tenants")
    actions = tok.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token; its last output line is the token")
    create.add_argument("--tenant", required=True)
    create.add_argument("--name")
    listing = actions.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--tenant")
    revoke = actions.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id")
    for sub in (create, listing, revoke):
        sub.add_argument("--store", help=STORE_HELP)
        sub.set_defaults(handler=tokens)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except Exception as exc:
        from unifold._errors import UnifoldError

        if not isinstance(exc, UnifoldError):
            raise
        print(f"unifold: {exc.message}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
