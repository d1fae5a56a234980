"""The ASGI app: Truto's unified API and integrated-account API over the unifold library."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unifold import _errors as errors
from unifold._accounts import AccountStore, open_store
from unifold._client import AsyncUnifold
from unifold.server import accounts, meta, projects
from unifold.server.auth import BearerAuth
from unifold.server.body import DEFAULT_MAX_BODY_BYTES
from unifold.server.context import ServerContext
from unifold.server.responses import on_http_error, on_unexpected, on_unifold_error
from unifold.server.spec import load_spec

STORE_ENV = "UNIFOLD_SERVE_STORE"
MAX_BODY_ENV = "UNIFOLD_MAX_BODY_BYTES"


async def openapi_json(request: Request) -> Response:
    return JSONResponse(load_spec())


def create_app(
    store: str | Path | AccountStore | None = None,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Starlette:
    """One app per process: its own client (in-process sandbox emulators included) over the
    store, which processes share (a SQLite file, or PostgreSQL). `store`: as for `Unifold`;
    None is `$UNIFOLD_DATABASE_URL`, else `$UNIFOLD_STORE`, else ~/.unifold/accounts.sqlite3."""
    owns_store = not isinstance(store, AccountStore)
    opened = store if isinstance(store, AccountStore) else open_store(store)
    context = ServerContext(opened, AsyncUnifold(store=opened), max_body_bytes, owns_store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await context.aclose()

    app = Starlette(
        routes=[
            Route("/openapi.json", openapi_json, methods=["GET"]),
            *meta.routes,  # before projects: `meta` is not a project id
            *projects.routes,
            *accounts.routes,
        ],
        middleware=[Middleware(BearerAuth, tokens=opened)],
        exception_handlers={
            errors.UnifoldError: on_unifold_error,
            HTTPException: on_http_error,
            Exception: on_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.context = context
    return app


def app_from_env() -> Starlette:
    """The factory `unifold serve` hands uvicorn (each worker process calls it)."""
    return create_app(
        os.environ.get(STORE_ENV) or None,
        max_body_bytes=int(os.environ.get(MAX_BODY_ENV, DEFAULT_MAX_BODY_BYTES)),
    )
