"""`/integrated-account`, modelled on Truto's: a tenant's accounts, never their credentials."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unifold import _errors as errors
from unifold._accounts import Credentials, IntegratedAccount, check_account
from unifold.server.body import read_json_object
from unifold.server.context import ServerContext
from unifold.server.query import parse_query

CREATE_KEYS = ("integration", "environment", "credentials", "params")
UPDATE_KEYS = ("credentials", "params")


def account_json(account: IntegratedAccount, tenant: str) -> dict[str, Any]:
    return {
        "id": account.id,
        "tenant_id": tenant,
        "integration": account.integration,
        "environment": account.environment,
        "params": account.params,
        "created_at": account.created_at,
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


def _no_query(request: Request) -> None:
    params = parse_query(request.scope["query_string"])
    if params:
        raise errors.InvalidParameterError(
            f"/integrated-account takes no query parameters; got {', '.join(sorted(params))}",
            field=sorted(params)[0],
        )


async def list_accounts(request: Request) -> Response:
    _no_query(request)
    context: ServerContext = request.app.state.context
    tenant = request.state.tenant
    owned = await run_in_threadpool(context.tenants.accounts_of, tenant)
    accounts = [a for a in context.client.accounts.list() if a.id in owned]
    return JSONResponse(
        {"result": [account_json(a, tenant) for a in accounts], "next_cursor": None}
    )


async def create_account(request: Request) -> Response:
    _no_query(request)
    context: ServerContext = request.app.state.context
    body = await read_json_object(request, context.max_body_bytes)
    _only(body, CREATE_KEYS, "an integrated account")
    integration = body.get("integration")
    if not isinstance(integration, str):
        raise errors.AccountConfigError(
            "integration is required: the integration's name, e.g. 'capsule'",
            field="integration",
        )
    environment = body.get("environment", "production")
    account = context.client.accounts.create(
        integration,
        _mapping(body, "credentials"),
        environment=environment,
        params=_mapping(body, "params"),
    )
    try:
        await run_in_threadpool(context.tenants.assign, account.id, request.state.tenant)
    except BaseException:
        context.client.accounts.delete(account.id)
        raise
    return JSONResponse(account_json(account, request.state.tenant), status_code=201)


async def get_account(request: Request) -> Response:
    _no_query(request)
    context: ServerContext = request.app.state.context
    account = await context.visible_account(request.state.tenant, request.path_params["id"])
    return JSONResponse(account_json(account, request.state.tenant))


async def update_account(request: Request) -> Response:
    """New credentials and/or params, validated like a new account's."""
    _no_query(request)
    context: ServerContext = request.app.state.context
    account = await context.visible_account(request.state.tenant, request.path_params["id"])
    body = await read_json_object(request, context.max_body_bytes)
    _only(body, UPDATE_KEYS, "an integrated account update")
    credentials = _mapping(body, "credentials")
    params = _mapping(body, "params")
    merged_params = {**account.params, **(params or {})}
    new_credentials = credentials if credentials is not None else dict(account.credentials)
    checked = check_account(
        account.integration,
        account.environment,
        new_credentials,
        merged_params,
        account.base_url,
        account.allow_remote_base_url,
    )
    updated = replace(account, credentials=Credentials(new_credentials), params=checked)
    store = context.client._core._store
    store.delete(account.id)
    store.add(updated)
    return JSONResponse(account_json(updated, request.state.tenant))


async def delete_account(request: Request) -> Response:
    _no_query(request)
    context: ServerContext = request.app.state.context
    account = await context.visible_account(request.state.tenant, request.path_params["id"])
    context.client.accounts.delete(account.id)
    await run_in_threadpool(context.tenants.forget, account.id)
    return JSONResponse({"id": account.id})


routes = [
    Route("/integrated-account", list_accounts, methods=["GET"]),
    Route("/integrated-account", create_account, methods=["POST"]),
    Route("/integrated-account/{id}", get_account, methods=["GET"]),
    Route("/integrated-account/{id}", update_account, methods=["PATCH"]),
    Route("/integrated-account/{id}", delete_account, methods=["DELETE"]),
]
