"""`Unifold` and `AsyncUnifold`: accounts plus the unified CRM resources.

Both share `_Core` (accounts, validation, flows); only the HTTP driver differs.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import warnings
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic import BaseModel

from unifold import _errors as errors
from unifold._accounts import AccountStore, IntegratedAccount, new_account, open_store
from unifold._engine import changed_since
from unifold._engine.connector import Connector, load_connector
from unifold._engine.flows import (
    CallOptions,
    check_id,
    check_options,
    create_flow,
    delete_flow,
    get_flow,
    list_flow,
    module_check_flow,
    update_flow,
)
from unifold._engine.http import AsyncDriver, Endpoint, Flow, ProviderResponse, SyncDriver
from unifold._engine.validation import OnUnsupported, validate_body
from unifold._errors import DroppedFieldsWarning
from unifold._ratelimit import Budget, Gate, Pacer, budgets_of

if TYPE_CHECKING:
    from unifold.sandbox import SandboxProvider

ResponseFormat = Literal["unified", "raw", "normalized", "stream"]
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SANDBOX_ORIGIN = "http://{integration}.sandbox.unifold.invalid"


def _auth_header(conn: Connector, account: IntegratedAccount) -> str:
    import base64

    auth = conn.provider["auth"]
    creds = account.credentials
    if auth["scheme"] == "bearer":
        return f"Bearer {creds[auth['token']]}"
    password = creds[auth["password"]] if auth.get("password") else ""
    token = base64.b64encode(f"{creds[auth['username']]}:{password}".encode()).decode()
    return f"Basic {token}"


class _Core:
    """What both clients share: the account store, sandboxes and request preparation."""

    def __init__(self, store: str | Path | AccountStore | None, max_retries: int) -> None:
        # A store passed in stays the caller's to close (a server shares one between clients).
        self._owns_store = not isinstance(store, AccountStore)
        self._store = store if isinstance(store, AccountStore) else open_store(store)
        self._max_retries = max_retries
        self._sandboxes: dict[str, SandboxProvider] = {}
        # Accounts whose API module (Teamleader projects-v2) this client has confirmed.
        self._module_checked: set[str] = set()
        self._lock = threading.Lock()
        self._pacer: Pacer | None = None

    @property
    def pacer(self) -> Pacer:
        """The request budgets of this store's accounts (opened on first use)."""
        with self._lock:
            if self._pacer is None:
                self._pacer = Pacer.beside(self._store)
            return self._pacer

    @staticmethod
    def documented_budgets(account: IntegratedAccount, conn: Connector) -> tuple[Budget, ...]:
        """Sandbox emulators enforce no limit unless asked, so a sandbox account is paced
        only at budgets set for it."""
        return budgets_of(conn.provider) if account.environment != "sandbox" else ()

    def pace(self, account: IntegratedAccount, conn: Connector) -> Gate | None:
        """Where this account's requests wait for their slot."""
        documented = self.documented_budgets(account, conn)
        return self.pacer.gate(f"{account.integration}:{account.id}", account.id, documented)

    def close(self) -> None:
        if self._pacer is not None:
            self._pacer.close()
        if self._owns_store:
            self._store.close()

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
        return Endpoint(account.integration, base, _auth_header(conn, account), provider)

    def sandbox(self, account: IntegratedAccount) -> SandboxProvider:
        """The in-process emulator behind a sandbox account (state lives with this client)."""
        with self._lock:
            provider = self._sandboxes.get(account.id)
            if provider is None:
                from unifold.sandbox import create_provider

                provider = self._sandboxes[account.id] = create_provider(account.integration)
            return provider

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
        return account, conn, flow, options

    def unchecked_module(self, account: IntegratedAccount, conn: Connector) -> bool:
        """Whether this account's API module still has to be confirmed (Teamleader)."""
        return bool(conn.provider.get("module_check")) and account.id not in self._module_checked

    def module_check(self, account: IntegratedAccount, conn: Connector) -> Flow:
        return module_check_flow(conn, lambda: self._module_checked.add(account.id))


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
        (in-process, or the loopback server at `base_url`)."""
        account = new_account(
            integration, environment, credentials, params, base_url, allow_remote_base_url, tenant
        )
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
        result = self._client._execute(account, conn, flow)
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

    def _records(self, prepared: Any, account_id: str, kw: dict[str, Any]) -> Iterator[Any]:
        while True:
            account, conn, flow, _ = prepared
            page = self._client._execute(account, conn, flow)
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
        result = await self._client._execute(account, conn, flow)
        if options.response_format == "stream" and isinstance(result, ProviderResponse):
            return AsyncProviderStream(result.stream, options.warnings)
        return result

    async def _records(  # type: ignore[override]
        self, prepared: Any, account_id: str, kw: dict[str, Any]
    ) -> AsyncIterator[Any]:
        while True:
            account, conn, flow, _ = prepared
            page = await self._client._execute(account, conn, flow)
            for record in page.result:
                yield record
            cursor = page.next_cursor
            if not cursor:
                return
            del page
            prepared = self._client._core.prepare("list", account_id, next_cursor=cursor, **kw)

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


class RateLimits:
    """Per-account request budgets. Each account is paced at its provider's documented
    budgets (`budgets_of` the matrix); `set` overrides them for every client, thread and
    process sharing this store."""

    def __init__(self, core: _Core) -> None:
        self._core = core

    def set(self, account_id: str, budgets: Iterable[tuple[int, float]] | None) -> None:
        """`[(limit, seconds), ...]`: at most `limit` requests per `seconds`, all at once;
        None goes back to the provider's documented budgets."""
        self._core.account(account_id)
        self._core.pacer.set(account_id, None if budgets is None else list(budgets))

    def get(self, account_id: str) -> list[tuple[int, float]]:
        """The budgets this account's requests are paced at."""
        account = self._core.account(account_id)
        documented = self._core.documented_budgets(account, load_connector(account.integration))
        return [(b.limit, b.per_seconds) for b in self._core.pacer.budgets(account_id, documented)]


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
    ):
        self._core = _Core(store, max_retries)
        self._owns_http = http_client is None
        self._sandbox_http: dict[str, Any] = {}
        self._module_locks: dict[str, Any] = {}
        self.accounts = Accounts(self._core)
        self.rate_limits = RateLimits(self._core)
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
        pace = self._core.pace(account, conn)
        return self._driver_class(client, endpoint, self._core._max_retries, pace=pace)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _account_lock(locks: dict[str, Any], account_id: str, factory: Any) -> Any:
    lock = locks.get(account_id)
    if lock is None:
        lock = locks.setdefault(account_id, factory())
    return lock


class Unifold(_ClientBase):
    """The sync client. `store`: a SQLite path, `":memory:"` (accounts in memory only), a
    `postgresql://` URL, an open `AccountStore`, or None for the default
    (`$UNIFOLD_DATABASE_URL`, else `$UNIFOLD_STORE`, else ~/.unifold/accounts.sqlite3)."""

    _driver_class = SyncDriver

    def __init__(
        self,
        *,
        store: str | Path | AccountStore | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(store, max_retries, http_client, Projects)
        self._http = http_client or httpx.Client(timeout=timeout, follow_redirects=False)

    def _execute(self, account: IntegratedAccount, conn: Connector, flow: Flow) -> Any:
        driver = self._driver(account, conn)
        if self._core.unchecked_module(account, conn):
            # One check per account, however many threads start at once.
            with _account_lock(self._module_locks, account.id, threading.Lock):
                if self._core.unchecked_module(account, conn):
                    driver.run(self._core.module_check(account, conn))
        return driver.run(flow)

    def _sandbox_client(self, provider: SandboxProvider) -> httpx.Client:
        from unifold.sandbox import SandboxTransport

        return httpx.Client(transport=SandboxTransport(provider))

    def close(self) -> None:
        if self._owns_http:  # a client the caller passed in stays theirs to close
            self._http.close()
        for client in self._sandbox_http.values():
            client.close()
        self._core.close()

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
    ) -> None:
        super().__init__(store, max_retries, http_client, AsyncProjects)
        self._http = http_client or httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def _execute(self, account: IntegratedAccount, conn: Connector, flow: Flow) -> Any:
        driver = self._driver(account, conn)
        if self._core.unchecked_module(account, conn):
            # One check per account, however many tasks start at once.
            async with _account_lock(self._module_locks, account.id, asyncio.Lock):
                if self._core.unchecked_module(account, conn):
                    await driver.run(self._core.module_check(account, conn))
        return await driver.run(flow)

    def _sandbox_client(self, provider: SandboxProvider) -> httpx.AsyncClient:
        from unifold.sandbox import asgi_app

        # The emulator as an ASGI app, run in this event loop by httpx's ASGI transport.
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi_app(provider)))

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()
        for client in self._sandbox_http.values():
            await client.aclose()
        self._core.close()

    async def __aenter__(self) -> AsyncUnifold:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
