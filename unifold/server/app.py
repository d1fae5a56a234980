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
from unifold._client import DEFAULT_STORE, AsyncUnifold
from unifold.server import accounts, projects
from unifold.server.auth import BearerAuth
from unifold.server.body import DEFAULT_MAX_BODY_BYTES
from unifold.server.context import ServerContext
from unifold.server.responses import on_http_error, on_unexpected, on_unifold_error
from unifold.server.spec import load_spec
from unifold.server.tenancy import TenantStore


async def openapi_json(request: Request) -> Response:
    return JSONResponse(load_spec())


def create_app(
    store: str | Path = DEFAULT_STORE, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> Starlette:
    """One app per process: its own client (in-process sandbox emulators included) over the
    shared store."""
    tenants = TenantStore(store)
    context = ServerContext(AsyncUnifold(store=store), tenants, max_body_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await context.aclose()

    app = Starlette(
        routes=[
            Route("/openapi.json", openapi_json, methods=["GET"]),
            *projects.routes,
            *accounts.routes,
        ],
        middleware=[Middleware(BearerAuth, tokens=tenants)],
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
        os.environ.get("UNIFOLD_STORE", DEFAULT_STORE),
        max_body_bytes=int(os.environ.get("UNIFOLD_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
    )
