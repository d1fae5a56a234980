"""`Unifold` and `AsyncUnifold`: accounts plus the unified CRM resources.

Both share `_Core` (accounts, validation, flows); only the HTTP driver differs.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic import BaseModel

from unifold import _errors as errors
from unifold._accounts import (
    AccountStore,
    Credentials,
    IntegratedAccount,
    new_account,
    open_store,
)
from unifold._accounts.validation import updated_account
from unifold._engine import changed_since
from unifold._engine.connector import Connector, load_connector
from unifold._engine.discovery import FieldsCache, ProjectFields, definitions_flow
from unifold._engine.flows import (
    CallOptions,
    check_id,
    check_options,
    create_flow,
    delete_flow,
    get_flow,
    list_flow,
    module_checked,
    update_flow,
)
from unifold._engine.http import AsyncDriver, Endpoint, Flow, ProviderResponse, SyncDriver
from unifold._engine.validation import OnUnsupported, validate_body
from unifold._errors import DroppedFieldsWarning
from unifold._oauth import OAUTH_CREDENTIALS, OAuthApp, OAuthProvider, is_oauth
from unifold._oauth import PROVIDERS as OAUTH_PROVIDERS
from unifold._oauth.connect import authorization_url, check_callback, exchange_code
from unifold._oauth.providers import origin_of
from unifold._oauth.sandbox_grant import sandbox_grant
from unifold._oauth.session import OnRefresh, auth_for, reauth_error

if TYPE_CHECKING:
    from unifold.sandbox import SandboxProvider

ResponseFormat = Literal["unified", "raw", "normalized", "stream"]
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SANDBOX_ORIGIN = "http://{integration}.sandbox.unifold.invalid"


def _auth_header(conn: Connector, account: IntegratedAccount) -> str:
    import base64

    auth = conn.provider["auth"]
    creds = account.credentials
    if is_oauth(account.integration, creds):
        return f"Bearer {creds['access_token']}"
    if auth["scheme"] == "bearer":
        return f"Bearer {creds[auth['token']]}"
    password = creds[auth["password"]] if auth.get("password") else ""
    token = base64.b64encode(f"{creds[auth['username']]}:{password}".encode()).decode()
    return f"Basic {token}"


class _Core:
    """What both clients share: the account store, sandboxes and request preparation."""

    def __init__(
        self,
        store: str | Path | AccountStore | None,
        max_retries: int,
        on_token_refresh: OnRefresh | None = None,
    ) -> None:
        # A store passed in stays the caller's to close (a server shares one between clients).
        self._owns_store = not isinstance(store, AccountStore)
        self._store = store if isinstance(store, AccountStore) else open_store(store)
        self._max_retries = max_retries
        self._on_token_refresh = on_token_refresh
        self._sandboxes: dict[str, SandboxProvider] = {}
        # Accounts whose API module (Teamleader projects-v2) this client has confirmed.
        self._module_checked: set[str] = set()
        self.fields_cache = FieldsCache()
        self._lock = threading.Lock()

    def account(self, account_id: Any, tenant: str | None = None) -> IntegratedAccount:
        account = self._store.get(account_id, tenant) if isinstance(account_id, str) else None
        if account is None:
            raise errors.UnknownAccountError(
                f"no integrated account with id {account_id!r}; create one with "
                f"accounts.create(...)"
            )
        return account

    def endpoint(self, conn: Connector, account: IntegratedAccount) -> Endpoint:
        provider = conn.provider
        base = provider["base_url"].format(**account.params)
        if account.base_url:
            base = account.base_url
        elif account.environment == "sandbox":
            from urllib.parse import urlsplit

            base = SANDBOX_ORIGIN.format(integration=account.integration) + urlsplit(base).path
        auth = auth_for(
            self._store,
            account,
            functools.partial(_auth_header, conn),
            self.oauth_provider(account.integration, account.environment, account.base_url),
            lambda: self.token_transport(account),
            self._on_token_refresh,
        )
        return Endpoint(account.integration, base, auth, provider)

    def oauth_provider(
        self, integration: str, environment: str, base_url: str | None
    ) -> OAuthProvider | None:
        """The integration's authorization server; a sandbox's or `base_url`'s origin stands
        in for the provider's hosts."""
        provider = OAUTH_PROVIDERS.get(integration)
        if provider is not None and base_url:
            return provider.at(origin_of(base_url))
        if provider is not None and environment == "sandbox":
            return provider.at(SANDBOX_ORIGIN.format(integration=integration))
        return provider

    def token_transport(self, account: IntegratedAccount) -> Any:
        """How token requests reach an in-process emulator (None: over the network)."""
        if not self.in_process(account):
            return None
        from unifold.sandbox import SandboxTransport

        return SandboxTransport(self.sandbox(account))

    def sandbox(self, account: IntegratedAccount) -> SandboxProvider:
        """The in-process emulator behind a sandbox account (state lives with this client)."""
        return self.sandbox_for(account.id, account.integration, account.credentials)

    def sandbox_for(
        self, account_id: str, integration: str, credentials: Mapping[str, str] = {}
    ) -> SandboxProvider:
        with self._lock:
            provider = self._sandboxes.get(account_id)
            if provider is None:
                from unifold.sandbox import create_provider

                provider = self._sandboxes[account_id] = create_provider(integration)
                if is_oauth(integration, credentials):
                    # This client's emulator starts from the seed, but honours the grant the
                    # account already has (made by another client's emulator).
                    provider.adopt_grant(  # type: ignore[attr-defined]
                        credentials["access_token"],
                        credentials["refresh_token"],
                        float(credentials["expires_at"]),
                    )
            return provider

    def connect_sandbox(self, account: IntegratedAccount) -> IntegratedAccount:
        """The sandbox account with an OAuth grant from its emulator."""
        provider = self.oauth_provider(account.integration, "sandbox", account.base_url)
        assert provider is not None
        grant = sandbox_grant(provider, self.token_transport(account))
        if self.in_process(account):
            # `.received` logs what the account did; its connect came before it existed.
            self.sandbox(account).received.clear()
        return dataclasses.replace(account, credentials=Credentials(grant))

    def in_process(self, account: IntegratedAccount) -> bool:
        return account.environment == "sandbox" and not account.base_url

    def prepare(
        self,
        operation: str,
        integrated_account_id: Any,
        *,
        resource_id: Any = None,
        body: Mapping[str, Any] | BaseModel | None = None,
        response_format: str = "unified",
        ignore_remote_data: bool = False,
        exclude_fields: Iterable[str] = (),
        remote_query: Mapping[str, Any] | None = None,
        on_unsupported: OnUnsupported = "error",
        limit: int | None = None,
        next_cursor: str | None = None,
        updated_after: datetime | None = None,
    ) -> tuple[IntegratedAccount, Connector, Flow, CallOptions]:
        """Validate everything and build the flow; nothing is sent here."""
        account = self.account(integrated_account_id)
        if account.status == "needs_reauth":  # fail fast: no request, no refresh attempt
            raise reauth_error(account)
        conn = load_connector(account.integration)
        if operation not in conn.operations:
            raise errors.UnifoldValidationError(
                f"{account.integration} does not support projects.{operation}; it supports "
                f"{', '.join(sorted(conn.operations))}",
                integration=account.integration,
                accepted=sorted(conn.operations),
            )
        if isinstance(exclude_fields, str):
            exclude_fields = [exclude_fields]
        options = CallOptions(
            response_format=response_format,
            ignore_remote_data=ignore_remote_data,
            exclude_fields=tuple(exclude_fields),
            remote_query=remote_query,
        )
        check_options(conn, options)
        if operation == "list":
            options.updated_after = changed_since.check(conn, updated_after, response_format)
        if on_unsupported not in ("error", "drop"):
            raise errors.InvalidParameterError(
                f"on_unsupported must be 'error' or 'drop', not {on_unsupported!r}",
                field="on_unsupported",
                accepted=["error", "drop"],
            )
        rid = check_id(conn, resource_id) if operation in ("get", "update", "delete") else None
        flow: Flow
        if operation in ("update", "create"):
            if body is None:
                raise errors.InvalidFieldValueError(f"projects.{operation} needs a body")
            data, dropped = validate_body(conn, operation, body, on_unsupported)
            options.warnings.extend(dropped)
            for note in dropped:  # also for `raw`, whose result has no place for them
                warnings.warn(DroppedFieldsWarning(note), stacklevel=4)
            if operation == "update":
                assert rid is not None
                flow = update_flow(conn, rid, data, options)
            else:
                flow = create_flow(conn, data, options)
        elif operation == "get":
            assert rid is not None
            flow = get_flow(conn, rid, options)
        elif operation == "list":
            flow = list_flow(conn, options, limit, next_cursor)
        else:
            assert rid is not None
            flow = delete_flow(conn, rid, options)
        if conn.provider.get("module_check") and account.id not in self._module_checked:
            flow = module_checked(conn, flow, lambda: self._module_checked.add(account.id))
        return account, conn, flow, options


def _stream_error(response: httpx.Response, exc: Exception) -> errors.ProviderConnectionError:
    return errors.ProviderConnectionError(
        f"the provider's stream broke off ({type(exc).__name__})",
        status_code=502,
        integration=response.request.url.host,
        method=response.request.method,
        url=str(response.request.url.copy_with(query=None)),
    )


class ProviderStream:
    """The provider's response, not buffered: iterate it, then close it (or use `with`)."""

    def __init__(self, response: httpx.Response, warnings: list[str] | None = None) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.warnings = warnings or []

    def iter_bytes(self, chunk_size: int | None = 65536) -> Iterator[bytes]:
        try:
            yield from self._response.iter_bytes(chunk_size)
        except httpx.RequestError as exc:
            raise _stream_error(self._response, exc) from exc

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_bytes()

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> ProviderStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncProviderStream:
    """The async twin of `ProviderStream`."""

    def __init__(self, response: httpx.Response, warnings: list[str] | None = None) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.warnings = warnings or []

    async def aiter_bytes(self, chunk_size: int | None = 65536) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes(chunk_size):
                yield chunk
        except httpx.RequestError as exc:
            raise _stream_error(self._response, exc) from exc

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.aiter_bytes()

    async def aclose(self) -> None:
        await self._response.aclose()

    async def __aenter__(self) -> AsyncProviderStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Accounts:
    def __init__(self, core: _Core) -> None:
        self._core = core

    def create(
        self,
        integration: str,
        credentials: Mapping[str, str] | None = None,
        *,
        environment: Literal["production", "sandbox"] = "production",
        params: Mapping[str, str] | None = None,
        base_url: str | None = None,
        allow_remote_base_url: bool = False,
        tenant: str | None = None,
    ) -> IntegratedAccount:
        """Store an account. Sandbox accounts need no credentials and reach a built-in emulator
        (in-process, or the loopback server at `base_url`); those of OAuth integrations
        (Teamleader, Capsule) connect through the emulator's OAuth endpoints, like a real one.

        For an OAuth integration, `credentials` may also be a grant: `access_token`,
        `refresh_token`, `expires_at` (epoch seconds), `client_id`, `client_secret`
        (`accounts.connect` makes one)."""
        account = new_account(
            integration, environment, credentials, params, base_url, allow_remote_base_url, tenant
        )
        if credentials is None and environment == "sandbox" and integration in OAUTH_PROVIDERS:
            account = self._core.connect_sandbox(account)
        self._core._store.add(account)
        return account

    def update(
        self,
        account_id: str,
        *,
        credentials: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        tenant: str | None = None,
    ) -> IntegratedAccount:
        """Replace an account's credentials (whole) and/or change some of its params, validated
        like `create`; the id stays. Nothing changes when validation fails. New credentials
        make a `needs_reauth` account active again."""
        with self._core._store.locked(account_id) as held:  # not between a refresh's read/write
            current = held.account
            if current is None or (tenant is not None and current.tenant != tenant):
                raise errors.UnknownAccountError(f"no integrated account with id {account_id!r}")
            held.save(updated_account(current, credentials, params))
        assert held.account is not None
        return held.account

    def authorization_url(
        self,
        app: OAuthApp,
        *,
        state: str | None = None,
        environment: Literal["production", "sandbox"] = "production",
        base_url: str | None = None,
    ) -> tuple[str, str]:
        """Step 1 of the connect flow: the provider URL to send the user to, and the state to
        keep (e.g. in their session) and pass back to `connect` as `expected_state`."""
        provider = self._core.oauth_provider(app.integration, environment, base_url)
        assert provider is not None  # OAuthApp accepts only OAuth integrations
        return authorization_url(app, provider, state)

    def connect(
        self,
        app: OAuthApp,
        *,
        code: str,
        state: str,
        expected_state: str,
        environment: Literal["production", "sandbox"] = "production",
        params: Mapping[str, str] | None = None,
        base_url: str | None = None,
        allow_remote_base_url: bool = False,
        tenant: str | None = None,
    ) -> IntegratedAccount:
        """Step 2, at your redirect URI: check the state, exchange the code for tokens and
        store the account (refreshed transparently from then on)."""
        placeholder = dict.fromkeys(OAUTH_CREDENTIALS, "0")
        account = new_account(  # everything but the tokens checked before any request
            app.integration,
            environment,
            placeholder,
            params,
            base_url,
            allow_remote_base_url,
            tenant,
        )
        code = check_callback(app, code, state, expected_state)
        provider = self._core.oauth_provider(app.integration, environment, base_url)
        assert provider is not None
        grant = exchange_code(app, provider, code, self._core.token_transport(account))
        account = dataclasses.replace(account, credentials=Credentials(grant))
        self._core._store.add(account)
        return account

    def get(self, account_id: str, *, tenant: str | None = None) -> IntegratedAccount:
        """The account; with `tenant`, another tenant's account is not found, like a missing
        id."""
        return self._core.account(account_id, tenant)

    def list(self, *, tenant: str | None = None) -> list[IntegratedAccount]:
        return self._core._store.list(tenant)

    def delete(self, account_id: str, *, tenant: str | None = None) -> None:
        if not self._core._store.delete(account_id, tenant):
            raise errors.UnknownAccountError(f"no integrated account with id {account_id!r}")

    def sandbox(self, account_id: str) -> SandboxProvider:
        """The emulator behind an in-process sandbox account: its state and the requests it
        received (`.received`)."""
        account = self._core.account(account_id)
        if not self._core.in_process(account):
            raise errors.UnifoldValidationError(
                f"account {account_id} is not an in-process sandbox account",
                integration=account.integration,
            )
        return self._core.sandbox(account)


class Projects:
    """`/unified/crm/projects`. Each method returns what `_run` returns: the result for the
    sync client, an awaitable of it for the async one (`AsyncProjects`), so the signatures are
    written once."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def _run(self, operation: str, account_id: Any, **kw: Any) -> Any:
        account, conn, flow, options = self._client._core.prepare(operation, account_id, **kw)
        result = self._client._driver(account, conn).run(flow)
        if options.response_format == "stream" and isinstance(result, ProviderResponse):
            return ProviderStream(result.stream, options.warnings)
        return result

    def update(
        self,
        id: str,
        body: Mapping[str, Any] | BaseModel,
        *,
        integrated_account_id: str,
        response_format: ResponseFormat = "unified",
        ignore_remote_data: bool = False,
        exclude_fields: Iterable[str] = (),
        remote_query: Mapping[str, Any] | None = None,
        on_unsupported: OnUnsupported = "error",
    ) -> Any:
        """PATCH semantics: omitted fields stay, `None` clears, arrays are the final state.

        Returns the integration's `Project` (unified), a dict (normalized), the provider's body
        (raw) or a `ProviderStream` (stream)."""
        return self._run(
            "update",
            integrated_account_id,
            resource_id=id,
            body=body,
            response_format=response_format,
            ignore_remote_data=ignore_remote_data,
            exclude_fields=exclude_fields,
            remote_query=remote_query,
            on_unsupported=on_unsupported,
        )

    def list(
        self,
        *,
        integrated_account_id: str,
        limit: int | None = None,
        next_cursor: str | None = None,
        updated_after: datetime | None = None,
        response_format: ResponseFormat = "unified",
        ignore_remote_data: bool = False,
        exclude_fields: Iterable[str] = (),
        remote_query: Mapping[str, Any] | None = None,
    ) -> Any:
        """One page: `Page(result, next_cursor, result_count)`; pass `next_cursor` back for the
        next one (None when there is none). `limit` is the page size (default: the provider's
        maximum); `updated_after` (an aware datetime) keeps the records changed after it."""
        return self._run(
            "list",
            integrated_account_id,
            limit=limit,
            next_cursor=next_cursor,
            updated_after=updated_after,
            response_format=response_format,
            ignore_remote_data=ignore_remote_data,
            exclude_fields=exclude_fields,
            remote_query=remote_query,
        )

    def iter(
        self,
        *,
        integrated_account_id: str,
        limit: int | None = None,
        next_cursor: str | None = None,
        updated_after: datetime | None = None,
        response_format: Literal["unified", "normalized"] = "unified",
        ignore_remote_data: bool = False,
        exclude_fields: Iterable[str] = (),
        remote_query: Mapping[str, Any] | None = None,
    ) -> Any:
        """Every record across pages, fetched lazily one page at a time (`limit` is the page
        size, default the provider's maximum). The arguments are checked here, before the
        first page is fetched; an async iterator on `AsyncUnifold`."""
        if response_format not in ("unified", "normalized"):
            raise errors.InvalidParameterError(
                f"iter yields records, so response_format must be 'unified' or 'normalized', "
                f"not {response_format!r} (use list for raw pages)",
                field="response_format",
                accepted=["unified", "normalized"],
            )
        kw: dict[str, Any] = {
            "limit": limit,
            "updated_after": updated_after,
            "response_format": response_format,
            "ignore_remote_data": ignore_remote_data,
            "exclude_fields": tuple(
                [exclude_fields] if isinstance(exclude_fields, str) else exclude_fields
            ),
            "remote_query": remote_query,
        }
        core = self._client._core
        first = core.prepare("list", integrated_account_id, next_cursor=next_cursor, **kw)
        return self._records(first, integrated_account_id, kw)

    def fields(self, *, integrated_account_id: str, refresh: bool = False) -> Any:
        """The unified fields this account's integration supports per operation, plus the
        account's own custom fields as the provider describes them (name, type, options,
        required), read live and cached for a minute (`refresh=True` reads again). Returns
        `ProjectFields` (awaitable on `AsyncUnifold`)."""
        account, conn, cached = self._fields_plan(integrated_account_id, refresh)
        if cached is not None:
            return cached
        found = self._client._driver(account, conn).run(definitions_flow(conn))
        return self._client._core.fields_cache.put(account.id, conn, found)

    def _fields_plan(
        self, account_id: Any, refresh: bool
    ) -> tuple[IntegratedAccount, Connector, ProjectFields | None]:
        account = self._client._core.account(account_id)
        conn = load_connector(account.integration)
        cache = self._client._core.fields_cache
        return account, conn, None if refresh else cache.get(account.id)

    def _records(self, prepared: Any, account_id: str, kw: dict[str, Any]) -> Iterator[Any]:
        while True:
            account, conn, flow, _ = prepared
            page = self._client._driver(account, conn).run(flow)
            yield from page.result
            cursor = page.next_cursor
            if not cursor:
                return
            del page  # one page in memory at a time
            prepared = self._client._core.prepare("list", account_id, next_cursor=cursor, **kw)

    def get(
        self,
        id: str,
        *,
        integrated_account_id: str,
        response_format: ResponseFormat = "unified",
        ignore_remote_data: bool = False,
        exclude_fields: Iterable[str] = (),
        remote_query: Mapping[str, Any] | None = None,
    ) -> Any:
        return self._run(
            "get",
            integrated_account_id,
            resource_id=id,
            response_format=response_format,
            ignore_remote_data=ignore_remote_data,
            exclude_fields=exclude_fields,
            remote_query=remote_query,
        )

    def create(
        self,
        body: Mapping[str, Any] | BaseModel,
        *,
        integrated_account_id: str,
        response_format: ResponseFormat = "unified",
        ignore_remote_data: bool = False,
        exclude_fields: Iterable[str] = (),
        remote_query: Mapping[str, Any] | None = None,
        on_unsupported: OnUnsupported = "error",
    ) -> Any:
        return self._run(
            "create",
            integrated_account_id,
            body=body,
            response_format=response_format,
            ignore_remote_data=ignore_remote_data,
            exclude_fields=exclude_fields,
            remote_query=remote_query,
            on_unsupported=on_unsupported,
        )

    def delete(
        self,
        id: str,
        *,
        integrated_account_id: str,
        response_format: ResponseFormat = "unified",
        remote_query: Mapping[str, Any] | None = None,
    ) -> Any:
        return self._run(
            "delete",
            integrated_account_id,
            resource_id=id,
            response_format=response_format,
            remote_query=remote_query,
        )


def _coroutine(name: str) -> Any:
    """`Projects.<name>` as a real coroutine function (for `inspect`, mocks and tracebacks),
    with the same signature and docstring."""
    method = getattr(Projects, name)

    @functools.wraps(method)
    async def awaited(self: AsyncProjects, *args: Any, **kwargs: Any) -> Any:
        return await method(self, *args, **kwargs)

    return awaited


class AsyncProjects(Projects):
    """`/unified/crm/projects` for `AsyncUnifold`: the same methods, each awaited."""

    async def _run(self, operation: str, account_id: Any, **kw: Any) -> Any:
        account, conn, flow, options = self._client._core.prepare(operation, account_id, **kw)
        result = await self._client._driver(account, conn).run(flow)
        if options.response_format == "stream" and isinstance(result, ProviderResponse):
            return AsyncProviderStream(result.stream, options.warnings)
        return result

    async def _records(  # type: ignore[override]
        self, prepared: Any, account_id: str, kw: dict[str, Any]
    ) -> AsyncIterator[Any]:
        while True:
            account, conn, flow, _ = prepared
            page = await self._client._driver(account, conn).run(flow)
            for record in page.result:
                yield record
            cursor = page.next_cursor
            if not cursor:
                return
            del page
            prepared = self._client._core.prepare("list", account_id, next_cursor=cursor, **kw)

    async def fields(self, *, integrated_account_id: str, refresh: bool = False) -> Any:
        account, conn, cached = self._fields_plan(integrated_account_id, refresh)
        if cached is not None:
            return cached
        found = await self._client._driver(account, conn).run(definitions_flow(conn))
        return self._client._core.fields_cache.put(account.id, conn, found)

    fields.__doc__ = Projects.fields.__doc__

    update = _coroutine("update")
    get = _coroutine("get")
    create = _coroutine("create")
    delete = _coroutine("delete")
    list = _coroutine("list")


class _Crm:
    def __init__(self, projects: Any) -> None:
        self.projects = projects

    @staticmethod
    def support(integration: str | None = None) -> dict[str, Any]:
        """The field-support table, as data: per integration, resource and operation, the
        request fields (required, nullable, enum values, max items) and the response fields.
        A meta endpoint in Python; no account needed."""
        from unifold.generated.crm.support import SUPPORT

        if integration is None:
            return SUPPORT
        if integration not in SUPPORT:
            raise errors.UnifoldValidationError(
                f"unknown integration {integration!r}; available: {', '.join(sorted(SUPPORT))}",
                field="integration",
                accepted=sorted(SUPPORT),
            )
        return SUPPORT[integration]


class _ClientBase:
    """What the two clients share: the core, accounts, the resources and the choice of HTTP
    client per account (the shared one, or an in-process sandbox's own)."""

    _http: Any
    _driver_class: Any

    def __init__(
        self,
        store: str | Path | AccountStore | None,
        max_retries: int,
        http_client: Any,
        projects: Any,
        on_token_refresh: OnRefresh | None = None,
    ):
        self._core = _Core(store, max_retries, on_token_refresh)
        self._owns_http = http_client is None
        self._sandbox_http: dict[str, Any] = {}
        self.accounts = Accounts(self._core)
        self.crm = _Crm(projects(self))

    def _sandbox_client(self, provider: SandboxProvider) -> Any:
        raise NotImplementedError

    def _driver(self, account: IntegratedAccount, conn: Connector) -> Any:
        client = self._http
        if self._core.in_process(account):
            client = self._sandbox_http.get(account.id)
            if client is None:
                client = self._sandbox_client(self._core.sandbox(account))
                self._sandbox_http[account.id] = client
        endpoint = self._core.endpoint(conn, account)
        return self._driver_class(client, endpoint, self._core._max_retries)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Unifold(_ClientBase):
    """The sync client. `store`: a SQLite path, `":memory:"` (accounts in memory only), a
    `postgresql://` URL, an open `AccountStore`, or None for the default
    (`$UNIFOLD_DATABASE_URL`, else `$UNIFOLD_STORE`, else ~/.unifold/accounts.sqlite3).
    `on_token_refresh(account)` is called after an OAuth account's tokens were refreshed and
    saved (the account carries the new ones)."""

    _driver_class = SyncDriver

    def __init__(
        self,
        *,
        store: str | Path | AccountStore | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
        on_token_refresh: Callable[[IntegratedAccount], None] | None = None,
    ) -> None:
        super().__init__(store, max_retries, http_client, Projects, on_token_refresh)
        self._http = http_client or httpx.Client(timeout=timeout, follow_redirects=False)

    def _sandbox_client(self, provider: SandboxProvider) -> httpx.Client:
        from unifold.sandbox import SandboxTransport

        return httpx.Client(transport=SandboxTransport(provider))

    def close(self) -> None:
        if self._owns_http:  # a client the caller passed in stays theirs to close
            self._http.close()
        for client in self._sandbox_http.values():
            client.close()
        if self._core._owns_store:
            self._core._store.close()

    def __enter__(self) -> Unifold:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncUnifold(_ClientBase):
    """The async client: the same API, each call awaited."""

    _driver_class = AsyncDriver

    def __init__(
        self,
        *,
        store: str | Path | AccountStore | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
        on_token_refresh: Callable[[IntegratedAccount], None] | None = None,
    ) -> None:
        super().__init__(store, max_retries, http_client, AsyncProjects, on_token_refresh)
        self._http = http_client or httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    def _sandbox_client(self, provider: SandboxProvider) -> httpx.AsyncClient:
        from unifold.sandbox import asgi_app

        # The emulator as an ASGI app, run in this event loop by httpx's ASGI transport.
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi_app(provider)))

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()
        for client in self._sandbox_http.values():
            await client.aclose()
        if self._core._owns_store:
            self._core._store.close()

    async def __aenter__(self) -> AsyncUnifold:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
