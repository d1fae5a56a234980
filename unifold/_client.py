"""`Unifold` and `AsyncUnifold`: accounts plus the CRM resources.

Both share `_Core` (accounts, validation, flows); only the HTTP driver differs. The resource
tree under `crm` is generated (`unifold.generated.crm.client`), on the bases in `_resource.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import threading
import time
import uuid
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping
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
from unifold._accounts.store import CACHED_ACCOUNTS
from unifold._accounts.validation import updated_account
from unifold._engine import changed_since
from unifold._engine.connector import Connector, load_connector
from unifold._engine.discovery import FieldsCache
from unifold._engine.flows import (
    CallOptions,
    check_id,
    check_options,
    create_flow,
    delete_flow,
    exclusions,
    get_flow,
    list_flow,
    module_check_flow,
    update_flow,
)
from unifold._engine.http import AsyncDriver, Endpoint, Flow, SyncDriver
from unifold._engine.limits import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_DECOMPRESSION_RATIO,
    DEFAULT_MAX_RESPONSE_BYTES,
    AsyncGate,
    Limits,
    SyncGate,
)
from unifold._engine.retry import DEFAULT_MAX_RETRIES, DEFAULT_MAX_WAIT, RetryPolicy, as_timeout
from unifold._engine.validation import validate_body
from unifold._errors import DroppedFieldsWarning
from unifold._idempotency import CreateKey, CreateLog, check_key
from unifold._oauth import OAUTH_CREDENTIALS, OAuthApp, OAuthProvider, is_oauth
from unifold._oauth import PROVIDERS as OAUTH_PROVIDERS
from unifold._oauth.connect import authorization_url, check_callback, exchange_code
from unifold._oauth.providers import origin_of
from unifold._oauth.sandbox_grant import sandbox_grant
from unifold._oauth.session import OnRefresh, auth_for, reauth_error
from unifold._options import ResponseFormat, check_option_names
from unifold._proxy import AsyncProxy, Proxy
from unifold._ratelimit import Budget, Gate, Pacer, budgets_of
from unifold._streams import AsyncProviderStream, ProviderStream
from unifold.generated.crm.client import AsyncCrm, Crm

if TYPE_CHECKING:
    from unifold.sandbox import SandboxProvider

__all__ = ["Unifold", "AsyncUnifold", "ProviderStream", "AsyncProviderStream", "ResponseFormat"]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SANDBOX_ORIGIN = "http://{integration}.sandbox.unifold.invalid"


def _auth_header(conn: Connector, account: IntegratedAccount) -> str:
    import base64

    auth = conn.provider.auth
    creds = account.credentials
    if is_oauth(account.integration, creds):
        return f"Bearer {creds['access_token']}"
    if auth.scheme == "bearer":
        return f"Bearer {creds[str(auth.token)]}"
    password = creds[auth.password] if auth.password else ""
    token = base64.b64encode(f"{creds[str(auth.username)]}:{password}".encode()).decode()
    return f"Basic {token}"


def _secrets(conn: Connector, account: IntegratedAccount) -> tuple[str, ...]:
    """Every form in which the account's credentials go out: provider text that echoes one is
    redacted before it reaches an error (the Basic blob and its decoded pair included)."""
    import base64

    values = [str(v) for v in account.credentials.values()]
    header = _auth_header(conn, account)
    scheme, _, token = header.partition(" ")
    values.append(token)
    if scheme == "Basic":
        values.append(base64.b64decode(token).decode(errors="replace"))
    return tuple(values)


class _Core:
    """What both clients share: the account store, sandboxes and request preparation."""

    def __init__(
        self,
        store: str | Path | AccountStore | None,
        on_token_refresh: OnRefresh | None = None,
    ) -> None:
        # A store passed in stays the caller's to close (a server shares one between clients).
        self._owns_store = not isinstance(store, AccountStore)
        self._store = store if isinstance(store, AccountStore) else open_store(store)
        self._on_token_refresh = on_token_refresh
        self._sandboxes: dict[str, SandboxProvider] = {}
        # Accounts whose API module (Teamleader projects-v2) this client has confirmed.
        self._module_checked: set[str] = set()
        self.fields_cache = FieldsCache()
        self._lock = threading.Lock()
        self._module_locks: dict[tuple[str, Any], Any] = {}
        self._pacer: Pacer | None = None
        self._create_log: CreateLog | None = None
        # Per account id, the endpoint built for the very account object the store last served:
        # the store serves a new object after any change, so a changed account gets a new one.
        self._endpoints: dict[str, tuple[IntegratedAccount, Endpoint]] = {}

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

    def create_key(self, account: IntegratedAccount, options: Mapping[str, Any]) -> CreateKey:
        """The call's idempotency key: the caller's, kept in the store's create log, or one
        made for this call only (its retries)."""
        given = options.get("idempotency_key")
        if given is None:
            return CreateKey(uuid.uuid4().hex, None, None, time.time(), None, account.id)
        key = check_key(given, account.integration)
        with self._lock:
            if self._create_log is None:
                self._create_log = CreateLog.beside(self._store)
        return self._create_log.start(account.id, key)

    def unchecked_module(self, account: IntegratedAccount, conn: Connector) -> bool:
        """Whether this account's API module still has to be confirmed (Teamleader)."""
        return conn.provider.module_check is not None and account.id not in self._module_checked

    def module_check(self, account: IntegratedAccount, conn: Connector) -> Flow:
        return module_check_flow(conn, lambda: self._module_checked.add(account.id))

    def module_lock(self, account_id: str, factory: Any) -> Any:
        """One check per account, however many threads (or tasks) start at once."""
        with self._lock:
            lock = self._module_locks.get((account_id, factory))
            if lock is None:
                lock = self._module_locks[(account_id, factory)] = factory()
            return lock

    def close(self) -> None:
        if self._pacer is not None:
            self._pacer.close()
        if self._create_log is not None:
            self._create_log.close()
        if self._owns_store:
            self._store.close()

    def account(self, account_id: Any, tenant: str | None = None) -> IntegratedAccount:
        account = self._store.get(account_id, tenant) if isinstance(account_id, str) else None
        if account is None:
            if tenant is None and isinstance(account_id, str):
                self._endpoints.pop(account_id, None)  # deleted: its secrets go too
            raise errors.UnknownAccountError(
                f"no integrated account with id {errors.shown(account_id)}; create one with "
                f"accounts.create(...)"
            )
        return account

    def endpoint(self, conn: Connector, account: IntegratedAccount) -> Endpoint:
        cached = self._endpoints.get(account.id)
        if cached is not None and cached[0] is account:
            return cached[1]
        endpoint = self._new_endpoint(conn, account)
        if len(self._endpoints) >= CACHED_ACCOUNTS:
            self._endpoints.clear()
        self._endpoints[account.id] = (account, endpoint)
        return endpoint

    def forget(self, account_id: str) -> None:
        """Drop what this client keeps for an account (its endpoint holds its secrets)."""
        self._endpoints.pop(account_id, None)
        self.fields_cache.forget(account_id)

    def _new_endpoint(self, conn: Connector, account: IntegratedAccount) -> Endpoint:
        provider = conn.provider
        base = provider.base_url.format(**account.params)
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
        return Endpoint(account.integration, base, auth, provider, _secrets(conn, account))

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

    def usable_account(
        self, integrated_account_id: Any, integration: str | None, resource: str
    ) -> tuple[IntegratedAccount, Connector]:
        """The account a call may use, and its connector: it exists, is not `needs_reauth`
        (fail fast: no request, no refresh attempt) and belongs to `integration` when set."""
        account = self.account(integrated_account_id)
        if account.status == "needs_reauth":
            raise reauth_error(account)
        self.check_integration(account, integration, resource)
        return account, load_connector(account.integration)

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
        account, conn = self.usable_account(integrated_account_id, integration, resource)
        if operation not in conn.operations:
            raise errors.UnifoldValidationError(
                f"{account.integration} does not support {resource}.{operation}; it supports "
                f"{', '.join(sorted(conn.operations))}",
                integration=account.integration,
                accepted=sorted(conn.operations),
            )
        exclude_fields = exclusions(conn, options.get("exclude_fields", ()))
        call = CallOptions(
            response_format=response_format,
            ignore_remote_data=options.get("ignore_remote_data", False),
            exclude_fields=exclude_fields,
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
                f"on_unsupported must be 'error' or 'drop', not {errors.shown(on_unsupported)}",
                field="on_unsupported",
                integration=account.integration,
                accepted=["error", "drop"],
            )
        rid = check_id(conn, resource_id) if operation in ("get", "update", "delete") else None
        flow: Flow
        if operation in ("update", "create"):
            if body is None:
                raise errors.InvalidFieldValueError(
                    f"{resource}.{operation} needs a body (a dict of unified fields) "
                    f"({account.integration})",
                    field="body",
                    integration=account.integration,
                )
            data, dropped = validate_body(conn, operation, body, on_unsupported)
            call.warnings.extend(dropped)
            for note in dropped:  # also for `raw`, whose result has no place for them
                warnings.warn(DroppedFieldsWarning(note), stacklevel=4)
            if operation == "update":
                assert rid is not None
                flow = update_flow(conn, rid, data, call)
            else:
                flow = create_flow(conn, data, call, self.create_key(account, options))
        elif operation == "get":
            assert rid is not None
            flow = get_flow(conn, rid, call)
        elif operation == "list":
            flow = list_flow(conn, call, options.get("limit"), options.get("next_cursor"))
        else:
            assert rid is not None
            flow = delete_flow(conn, rid, call)
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
        if not isinstance(account_id, str):
            raise errors.UnknownAccountError(f"no integrated account with id {account_id!r}")
        with self._core._store.locked(account_id) as held:  # not between a refresh's read/write
            current = held.account
            if current is None or (tenant is not None and current.tenant != tenant):
                raise errors.UnknownAccountError(
                    f"no integrated account with id {errors.shown(account_id)}"
                )
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
        account_id: str | None = None,
    ) -> IntegratedAccount:
        """Step 2, at your redirect URI: check the state, exchange the code for tokens and
        store the account (refreshed transparently from then on). With `account_id`, the
        grant goes onto that existing account instead (a reconnect after `needs_reauth`: same
        id, active again); its environment and base URL are kept."""
        if account_id is not None:
            existing = self._core.account(account_id, tenant)
            if existing.integration != app.integration:
                raise errors.AccountConfigError(
                    f"account {account_id} is a {existing.integration} account; the OAuth app "
                    f"is for {app.integration}",
                    field="account_id",
                    integration=app.integration,
                )
            code = check_callback(app, code, state, expected_state)
            provider = self._core.oauth_provider(
                app.integration, existing.environment, existing.base_url
            )
            assert provider is not None
            grant = exchange_code(app, provider, code, self._core.token_transport(existing))
            return self.update(account_id, credentials=grant, tenant=tenant)
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
            raise errors.UnknownAccountError(
                f"no integrated account with id {errors.shown(account_id)}"
            )
        self._core.forget(account_id)

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


class RateLimits:
    """Per-account request budgets. Each account is paced at its provider's documented
    budgets (the matrix's `rate_limit.budgets`); `set` overrides them for every client, thread
    and process sharing this store."""

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
    """What the two clients share: the core, accounts, the retry policy and limits, and the
    choice of HTTP client per account (the shared one, or an in-process sandbox's own)."""

    _http: Any
    _gate: Any
    _driver_class: Any
    _http_class: Any

    def __init__(
        self,
        store: str | Path | AccountStore | None,
        http_client: Any,
        policy: RetryPolicy,
        limits: Limits,
        on_token_refresh: OnRefresh | None = None,
    ):
        if http_client is not None and not isinstance(http_client, self._http_class):
            raise errors.InvalidParameterError(
                f"http_client must be an {self._http_class.__module__}."
                f"{self._http_class.__name__}, not {type(http_client).__name__}",
                field="http_client",
            )
        self._policy = policy
        self._limits = limits
        self._core = _Core(store, on_token_refresh)
        self._owns_http = http_client is None
        self._sandbox_http: dict[str, Any] = {}
        self.accounts = Accounts(self._core)
        self.rate_limits = RateLimits(self._core)

    def _own_http(self, timeout: Any) -> Any:
        """The client's own pool, as large as its in-flight bound: no request waits in it."""
        size = self._limits.max_concurrency
        return self._http_class(
            timeout=as_timeout(timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
        )

    def _policy_for(self, options: Mapping[str, Any]) -> RetryPolicy:
        """The client's retry policy with a call's `timeout`, `max_retries`, `max_wait`."""
        timeout, max_retries, max_wait = (options.get(k) for k in RetryPolicy.OPTIONS)
        if timeout is None and max_retries is None and max_wait is None:
            return self._policy
        return RetryPolicy.build(timeout, max_retries, max_wait, base=self._policy)

    def _sandbox_client(self, provider: SandboxProvider) -> Any:
        raise NotImplementedError

    def _shared_http(self) -> Any:
        return self._http

    def _driver(
        self, account: IntegratedAccount, conn: Connector, policy: RetryPolicy | None = None
    ) -> Any:
        client = self._shared_http()
        if self._core.in_process(account):
            client = self._sandbox_http.get(account.id)
            if client is None:
                client = self._sandbox_client(self._core.sandbox(account))
                self._sandbox_http[account.id] = client
        endpoint = self._core.endpoint(conn, account)
        policy = policy or self._policy
        pace = self._core.pace(account, conn)
        return self._driver_class(
            client, endpoint, policy, self._limits, self._gate, account.id, pace
        )

    def _runner(
        self, account: IntegratedAccount, conn: Connector, policy: RetryPolicy | None = None
    ) -> Any:
        """A driver for the unified resources: the account's API module is confirmed first."""
        driver = self._driver(account, conn, policy)
        if not self._core.unchecked_module(account, conn):
            return driver
        return self._checked_runner(driver, account, conn)

    def _checked_runner(self, driver: Any, account: IntegratedAccount, conn: Connector) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


_LIMITS_DOC = """

    `timeout`, `max_retries` and `max_wait` are the retry policy (README, "Retries, timeouts and
    limits"); each call may override them. At most `max_concurrency` provider requests are in
    flight at once (`max_concurrency_per_account` per account), the rest wait for a slot;
    answers larger than `max_response_bytes`, or decompressing more than
    `max_decompression_ratio`-fold, raise `ResponseTooLargeError`."""


class Unifold(_ClientBase):
    """The sync client. `store`: a SQLite path, `":memory:"` (accounts in memory only), a
    `postgresql://` URL, an open `AccountStore`, or None for the default
    (`$UNIFOLD_DATABASE_URL`, else `$UNIFOLD_STORE`, else ~/.unifold/accounts.sqlite3).
    `on_token_refresh(account)` is called after an OAuth account's tokens were refreshed and
    saved (the account carries the new ones)."""

    __doc__ = (__doc__ or "") + _LIMITS_DOC
    _driver_class = SyncDriver
    _http_class = httpx.Client

    def __init__(
        self,
        *,
        store: str | Path | AccountStore | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_wait: float = DEFAULT_MAX_WAIT,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_concurrency_per_account: int | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_decompression_ratio: float = DEFAULT_MAX_DECOMPRESSION_RATIO,
        http_client: httpx.Client | None = None,
        on_token_refresh: Callable[[IntegratedAccount], None] | None = None,
    ) -> None:
        policy = RetryPolicy.build(None, max_retries, max_wait)
        limits = Limits.build(
            max_concurrency,
            max_concurrency_per_account,
            max_response_bytes,
            max_decompression_ratio,
        )
        super().__init__(store, http_client, policy, limits, on_token_refresh)
        self._gate = SyncGate(limits)
        self.crm: Crm = Crm(self)
        """The unified CRM API (`crm.projects`, any account) and one typed client per
        integration (`crm.capsule.projects`, ...)."""
        self.proxy = Proxy(self)
        """Raw calls to an account's provider (`proxy.request`)."""
        self._http = http_client or self._own_http(timeout)

    def _checked_runner(self, driver: Any, account: IntegratedAccount, conn: Connector) -> Any:
        core = self._core

        class Checked:
            def run(self, flow: Flow) -> Any:
                with core.module_lock(account.id, threading.Lock):
                    if core.unchecked_module(account, conn):
                        driver.run(core.module_check(account, conn))
                return driver.run(flow)

        return Checked()

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
    """The async client: the same API and options, each call awaited. A burst of calls queues
    cheaply (in asyncio) for one of the `max_concurrency` in-flight slots."""

    _driver_class = AsyncDriver
    _http_class = httpx.AsyncClient

    def __init__(
        self,
        *,
        store: str | Path | AccountStore | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_wait: float = DEFAULT_MAX_WAIT,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_concurrency_per_account: int | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_decompression_ratio: float = DEFAULT_MAX_DECOMPRESSION_RATIO,
        http_client: httpx.AsyncClient | None = None,
        on_token_refresh: Callable[[IntegratedAccount], None] | None = None,
    ) -> None:
        policy = RetryPolicy.build(None, max_retries, max_wait)
        limits = Limits.build(
            max_concurrency,
            max_concurrency_per_account,
            max_response_bytes,
            max_decompression_ratio,
        )
        super().__init__(store, http_client, policy, limits, on_token_refresh)
        self._gate = AsyncGate(limits)
        self.crm: AsyncCrm = AsyncCrm(self)
        """The async twin of `Unifold.crm`."""
        self.proxy = AsyncProxy(self)
        """The async twin of `Unifold.proxy`."""
        self._http = http_client or self._own_http(timeout)
        self._timeout = timeout
        self._http_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None

    def _shared_http(self) -> httpx.AsyncClient:
        """Connections belong to the event loop they were opened in: used from another loop
        (a second `asyncio.run`), the client's own pool is replaced by a fresh one."""
        loop = asyncio.get_running_loop()
        if self._owns_http:
            if self._http_loop is not None:
                last = self._http_loop()
                if last is None or (last is not loop and last.is_closed()):
                    self._http = self._own_http(self._timeout)
            self._http_loop = weakref.ref(loop)
        return self._http  # type: ignore[no-any-return]

    def _checked_runner(self, driver: Any, account: IntegratedAccount, conn: Connector) -> Any:
        core = self._core

        class Checked:
            async def run(self, flow: Flow) -> Any:
                async with core.module_lock(account.id, asyncio.Lock):
                    if core.unchecked_module(account, conn):
                        await driver.run(core.module_check(account, conn))
                return await driver.run(flow)

        return Checked()

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
