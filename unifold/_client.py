"""`Unifold` and `AsyncUnifold`: accounts plus the CRM resources.

Both share `_Core` (accounts, validation, flows); only the HTTP driver differs. The resource
tree under `crm` is generated (`unifold.generated.crm.client`), on the bases in `_resource.py`.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic import BaseModel

from unifold import _errors as errors
from unifold._accounts import AccountStore, IntegratedAccount, new_account, open_store
from unifold._engine import changed_since
from unifold._engine.connector import Connector, load_connector
from unifold._engine.discovery import FieldsCache
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
from unifold._engine.http import AsyncDriver, Endpoint, Flow, SyncDriver
from unifold._engine.validation import validate_body
from unifold._errors import DroppedFieldsWarning
from unifold._options import ResponseFormat, check_option_names
from unifold._proxy import AsyncProxy, Proxy
from unifold._streams import AsyncProviderStream, ProviderStream
from unifold.generated.crm.client import AsyncCrm, Crm

if TYPE_CHECKING:
    from unifold.sandbox import SandboxProvider

__all__ = ["Unifold", "AsyncUnifold", "ProviderStream", "AsyncProviderStream", "ResponseFormat"]

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

    def check_integration(
        self, account: IntegratedAccount, integration: str | None, resource: str
    ) -> None:
        """A per-integration client (`integration` set) takes only that integration's accounts."""
        if integration is not None and account.integration != integration:
            raise errors.IntegrationMismatchError(
                f"account {account.id} is a {account.integration} account, but "
                f"crm.{integration}.{resource} only takes {integration} accounts; use "
                f"crm.{account.integration}.{resource} or the unified crm.{resource}",
                field="integrated_account_id",
                integration=account.integration,
                accepted=integration,
            )

    def prepare(
        self,
        resource: str,
        operation: str,
        integration: str | None,
        integrated_account_id: Any,
        response_format: str,
        options: Mapping[str, Any],
        *,
        resource_id: Any = None,
        body: Mapping[str, Any] | BaseModel | None = None,
    ) -> tuple[IntegratedAccount, Connector, Flow, CallOptions]:
        """Validate everything and build the flow; nothing is sent here. `options` are the
        call's keyword options (`unifold._options`); `integration` is set by a per-integration
        client, whose account must belong to it."""
        check_option_names(resource, operation, options)
        account = self.account(integrated_account_id)
        self.check_integration(account, integration, resource)
        conn = load_connector(account.integration)
        if operation not in conn.operations:
            raise errors.UnifoldValidationError(
                f"{account.integration} does not support {resource}.{operation}; it supports "
                f"{', '.join(sorted(conn.operations))}",
                integration=account.integration,
                accepted=sorted(conn.operations),
            )
        exclude_fields = options.get("exclude_fields", ())
        if isinstance(exclude_fields, str):
            exclude_fields = [exclude_fields]
        call = CallOptions(
            response_format=response_format,
            ignore_remote_data=options.get("ignore_remote_data", False),
            exclude_fields=tuple(exclude_fields),
            remote_query=options.get("remote_query"),
        )
        check_options(conn, call)
        if operation == "list":
            call.updated_after = changed_since.check(
                conn, options.get("updated_after"), response_format
            )
        on_unsupported = options.get("on_unsupported", "error")
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
                raise errors.InvalidFieldValueError(f"{resource}.{operation} needs a body")
            data, dropped = validate_body(conn, operation, body, on_unsupported)
            call.warnings.extend(dropped)
            for note in dropped:  # also for `raw`, whose result has no place for them
                warnings.warn(DroppedFieldsWarning(note), stacklevel=4)
            if operation == "update":
                assert rid is not None
                flow = update_flow(conn, rid, data, call)
            else:
                flow = create_flow(conn, data, call)
        elif operation == "get":
            assert rid is not None
            flow = get_flow(conn, rid, call)
        elif operation == "list":
            flow = list_flow(conn, call, options.get("limit"), options.get("next_cursor"))
        else:
            assert rid is not None
            flow = delete_flow(conn, rid, call)
        if conn.provider.get("module_check") and account.id not in self._module_checked:
            flow = module_checked(conn, flow, lambda: self._module_checked.add(account.id))
        return account, conn, flow, call


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
    ):
        self._core = _Core(store, max_retries)
        self._owns_http = http_client is None
        self._sandbox_http: dict[str, Any] = {}
        self.accounts = Accounts(self._core)

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
        super().__init__(store, max_retries, http_client)
        self.crm: Crm = Crm(self)
        """The unified CRM API (`crm.projects`, any account) and one typed client per
        integration (`crm.capsule.projects`, ...)."""
        self.proxy = Proxy(self)
        """Raw calls to an account's provider (`proxy.request`)."""
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
    ) -> None:
        super().__init__(store, max_retries, http_client)
        self.crm: AsyncCrm = AsyncCrm(self)
        """The async twin of `Unifold.crm`."""
        self.proxy = AsyncProxy(self)
        """The async twin of `Unifold.proxy`."""
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
