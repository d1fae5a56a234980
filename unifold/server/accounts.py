"""`/integrated-account`, modelled on Truto's: a tenant's accounts, never their credentials."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unifold import _errors as errors
from unifold._accounts import IntegratedAccount
from unifold.server.body import read_json_object
from unifold.server.context import ServerContext, unknown_account
from unifold.server.query import parse_query

CREATE_KEYS = ("integration", "environment", "credentials", "params")
UPDATE_KEYS = ("credentials", "params")


def account_json(account: IntegratedAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "tenant_id": account.tenant,
        "integration": account.integration,
        "environment": account.environment,
        "params": account.params,
        "status": account.status,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    }


def _only(body: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise errors.InvalidFieldValueError(
            f"{what} takes {', '.join(allowed)}; unknown: {', '.join(unknown)}",
            field=unknown[0],
            fields=unknown,
            accepted=list(allowed),
        )


def _mapping(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise errors.AccountConfigError(f"{key} must be an object", field=key)
    return value


def _context(request: Request) -> ServerContext:
    params = parse_query(request.scope["query_string"])
    if params:
        raise errors.InvalidParameterError(
            f"/integrated-account takes no query parameters; got {', '.join(sorted(params))}",
            field=sorted(params)[0],
        )
    context: ServerContext = request.app.state.context
    return context


async def list_accounts(request: Request) -> Response:
    context = _context(request)
    accounts = await run_in_threadpool(context.store.list, request.state.tenant)
    return JSONResponse({"result": [account_json(a) for a in accounts], "next_cursor": None})


async def create_account(request: Request) -> Response:
    """`base_url` is not offered over HTTP: it would let a caller point the server at any
    loopback service with stored credentials."""
    context = _context(request)
    body = await read_json_object(request, context.max_body_bytes)
    _only(body, CREATE_KEYS, "an integrated account")
    integration = body.get("integration")
    if not isinstance(integration, str):
        raise errors.AccountConfigError(
            "integration is required: the integration's name, e.g. 'capsule'",
            field="integration",
        )
    account = await run_in_threadpool(
        lambda: context.client.accounts.create(
            integration,
            _mapping(body, "credentials"),
            environment=body.get("environment", "production"),
            params=_mapping(body, "params"),
            tenant=request.state.tenant,
        )
    )
    return JSONResponse(account_json(account), status_code=201)


async def get_account(request: Request) -> Response:
    context = _context(request)
    account = await context.visible_account(request.state.tenant, request.path_params["id"])
    return JSONResponse(account_json(account))


async def update_account(request: Request) -> Response:
    """New credentials and/or params, validated like a new account's (a new credential also
    revives an account that needs re-authentication)."""
    context = _context(request)
    tenant = request.state.tenant
    account = await context.visible_account(tenant, request.path_params["id"])
    body = await read_json_object(request, context.max_body_bytes)
    _only(body, UPDATE_KEYS, "an integrated account update")
    credentials = _mapping(body, "credentials")
    params = _mapping(body, "params")
    # The library's update holds the account's lock, so it never writes back a refresh token
    # that a concurrent refresh has just rotated.
    updated = await run_in_threadpool(
        context.client.accounts.update,
        account.id,
        credentials=credentials,
        params=params,
        tenant=tenant,
    )
    return JSONResponse(account_json(updated))


async def delete_account(request: Request) -> Response:
    context = _context(request)
    account = await context.visible_account(request.state.tenant, request.path_params["id"])
    try:  # through the client, which then drops what it keeps for the account
        await run_in_threadpool(
            context.client.accounts.delete, account.id, tenant=request.state.tenant
        )
    except errors.UnknownAccountError:
        raise unknown_account(account.id) from None  # deleted meanwhile
    return JSONResponse({"id": account.id})


routes = [
    Route("/integrated-account", list_accounts, methods=["GET"]),
    Route("/integrated-account", create_account, methods=["POST"]),
    Route("/integrated-account/{id}", get_account, methods=["GET"]),
    Route("/integrated-account/{id}", update_account, methods=["PATCH"]),
    Route("/integrated-account/{id}", delete_account, methods=["DELETE"]),
]
