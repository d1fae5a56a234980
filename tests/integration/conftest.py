"""Fixtures for the integration tests: a fresh client and sandbox account per test.

Every sandbox provider gets a frozen clock, so timestamps it writes (`updatedAt`, ...) are
deterministic and can be asserted exactly.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from unifold import AsyncUnifold, IntegratedAccount, Unifold
from unifold._matrix import Matrix, Pagination, Request, Resource
from unifold.generated.crm.registry import INTEGRATIONS as REGISTRY
from unifold.generated.crm.registry import load
from unifold.sandbox import (
    SANDBOX_CREDENTIALS,
    SEED_PROJECT_IDS,
    SEED_REFERENCES,
    ReceivedRequest,
    SandboxProvider,
    sandbox_class,
)

INTEGRATIONS = tuple(REGISTRY)
RESPONSE_FORMATS = ("unified", "raw", "normalized", "stream")

# The richest seeded project of each provider (the first seed id).
PROJECT = {name: SEED_PROJECT_IDS[name][0] for name in INTEGRATIONS}
REFS = SEED_REFERENCES

FROZEN_NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
FROZEN_NOW_ISO = "2025-01-02T03:04:05Z"


def _matrix(integration: str) -> Matrix:
    spec = load(integration).SPEC
    assert isinstance(spec, Matrix)
    return spec


def _projects(integration: str) -> Resource:
    return _matrix(integration).resources["projects"]


def update_request(integration: str) -> Request:
    return _projects(integration).operations["update"].request


def list_pagination(integration: str) -> Pagination:
    pagination = _projects(integration).operations["list"].pagination
    assert pagination is not None
    return pagination


def list_call(integration: str) -> tuple[str, str, str | None]:
    """The list operation's (method, path below the base URL, response envelope)."""
    operation = _projects(integration).operations["list"]
    request = operation.request
    return request.method, request.path, operation.response.envelope


def credential_keys(integration: str) -> list[str]:
    return list(_matrix(integration).provider.auth.credentials)


def record_fields(integration: str) -> list[str]:
    """The unified fields the integration's records map (the matrix's `record`)."""
    return list(_projects(integration).record)


# Well-formed ids (they match the provider's id pattern) that no seeded project has.
UNKNOWN_PROJECT = {name: sandbox_class(name).unknown_project_id for name in INTEGRATIONS}


def _main_write(integration: str) -> tuple[str, str]:
    """Where the provider's main update goes (method, path template with {id}, {space_id})."""
    request = _projects(integration).operations["update"].request
    provider = _matrix(integration).provider
    # Sandbox accounts get each provider parameter's example (Pipeliner's space id).
    examples = {name: param.example for name, param in provider.params.items()}
    base = urlsplit(provider.base_url.format(**examples)).path.rstrip("/")
    return request.method, base + request.path


MAIN_WRITE = {name: _main_write(name) for name in INTEGRATIONS}

# Where the project name sits in each provider's raw record (below the envelope).
RAW_NAME_KEY = {name: _projects(name).record["name"].path for name in INTEGRATIONS}
RAW_ENVELOPE = {name: _projects(name).operations["get"].response.envelope for name in INTEGRATIONS}


def raw_record(integration: str, body: Any) -> dict[str, Any]:
    """The project record inside a provider response body."""
    envelope = RAW_ENVELOPE[integration]
    record = body[envelope] if envelope else body
    assert isinstance(record, dict)
    return record


def needs_name(integration: str, body: dict[str, Any]) -> dict[str, Any]:
    """Teamleader requires `name` on every update; add one when the body has none."""
    if integration == "teamleader" and "name" not in body:
        return {"name": "Required title", **body}
    return body


def provider_call(
    sb: Sandbox | AsyncSandbox, method: str, path: str, query: list[tuple[str, str]] | None = None
) -> Any:
    """Ask the emulator directly (bypassing unifold) and return its JSON answer."""
    creds = SANDBOX_CREDENTIALS[sb.integration]
    scheme = _matrix(sb.integration).provider.auth
    if scheme.scheme == "basic":
        user = creds[str(scheme.username)]
        password = creds[scheme.password] if scheme.password else ""
        auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    else:
        auth = "Bearer " + creds[str(scheme.token)]
    response = sb.provider.handle(method, path, query or [], {"authorization": auth}, b"")
    assert response.status == 200, response.body
    return response.json()


def expected_wire(integration: str, pid: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The full main-update body for these provider fields: envelope and id added."""
    request = _projects(integration).operations["update"].request
    body = dict(fields)
    if request.id_in_body:
        body[request.id_in_body] = int(pid) if request.id_as == "integer" else pid
    return {request.envelope: body} if request.envelope else body


def _read_paths(integration: str) -> tuple[str, ...]:
    """Non-GET calls that only read (RPC-style APIs: Teamleader's projects.info, its module
    check), as the matrix declares them."""
    matrix = _matrix(integration)
    requests = [_projects(integration).operations["get"].request]
    requests += [f.request for f in _projects(integration).fetches.values()]
    if matrix.provider.module_check is not None:
        requests.append(matrix.provider.module_check.request)
    return tuple(r.path for r in requests if r.method != "GET")


def _module_check_path(integration: str) -> str:
    check = _matrix(integration).provider.module_check
    assert check is not None
    return check.request.path


# Teamleader's "which projects module does this account use" call, made once per account.
TL_MODULE_CHECK = _module_check_path("teamleader")
READ_PATHS = tuple(sorted({p for name in INTEGRATIONS for p in _read_paths(name)}))


def is_read(request: ReceivedRequest) -> bool:
    return request.method == "GET" or request.path.endswith(READ_PATHS)


@dataclass
class Sandbox:
    """One sandbox account of one integration, with its emulator."""

    client: Unifold
    integration: str
    account: IntegratedAccount
    provider: SandboxProvider

    @property
    def pid(self) -> str:
        return PROJECT[self.integration]

    @property
    def received(self) -> list[ReceivedRequest]:
        return self.provider.received

    def update(self, body: Any, project_id: str | None = None, **kw: Any) -> Any:
        return self.client.crm.projects.update(
            self.pid if project_id is None else project_id,
            body,
            integrated_account_id=self.account.id,
            **kw,
        )

    def get(self, project_id: str | None = None, **kw: Any) -> Any:
        return self.client.crm.projects.get(
            self.pid if project_id is None else project_id,
            integrated_account_id=self.account.id,
            **kw,
        )

    def writes(self) -> list[ReceivedRequest]:
        """Every request that changes something (fetches and read-backs left out)."""
        return [r for r in self.received if not is_read(r)]

    def main_path(self, project_id: str | None = None) -> str:
        _, template = MAIN_WRITE[self.integration]
        return template.format(
            id=self.pid if project_id is None else project_id,
            space_id=self.account.params.get("space_id", ""),
        )

    def main_write(self) -> ReceivedRequest:
        """The last request to the provider's update endpoint; asserts method and path."""
        method, _ = MAIN_WRITE[self.integration]
        matches = [r for r in self.received if r.method == method and r.path == self.main_path()]
        assert matches, f"no {method} {self.main_path()} among {self.received}"
        return matches[-1]

    def wire(self, fields: dict[str, Any], project_id: str | None = None) -> dict[str, Any]:
        """The full main-update body expected for these provider fields."""
        return expected_wire(
            self.integration, self.pid if project_id is None else project_id, fields
        )


SandboxFactory = Callable[[str], Sandbox]


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a sandbox test tried to reach the network: {request.url}")


@pytest.fixture
def client() -> Iterator[Unifold]:
    # Sandbox accounts run in-process; the client's own HTTP transport must never be used
    # (and a transport that is not a real one also keeps each test's setup fast).
    uf = Unifold(
        store=":memory:", http_client=httpx.Client(transport=httpx.MockTransport(_no_network))
    )
    yield uf
    uf.close()


def _freeze(provider: SandboxProvider) -> SandboxProvider:
    provider.clock = FROZEN_NOW.timestamp
    return provider


@pytest.fixture
def make_sandbox(client: Unifold) -> SandboxFactory:
    def factory(integration: str) -> Sandbox:
        account = client.accounts.create(integration, environment="sandbox")
        provider = _freeze(client.accounts.sandbox(account.id))
        return Sandbox(client, integration, account, provider)

    return factory


@pytest.fixture
def capsule(make_sandbox: SandboxFactory) -> Sandbox:
    return make_sandbox("capsule")


@pytest.fixture
def insightly(make_sandbox: SandboxFactory) -> Sandbox:
    return make_sandbox("insightly")


@pytest.fixture
def pipeliner(make_sandbox: SandboxFactory) -> Sandbox:
    return make_sandbox("pipeliner")


@pytest.fixture
def planhat(make_sandbox: SandboxFactory) -> Sandbox:
    return make_sandbox("planhat")


@pytest.fixture
def teamleader(make_sandbox: SandboxFactory) -> Sandbox:
    return make_sandbox("teamleader")


@dataclass
class AsyncSandbox:
    client: AsyncUnifold
    integration: str
    account: IntegratedAccount
    provider: SandboxProvider

    @property
    def pid(self) -> str:
        return PROJECT[self.integration]

    @property
    def received(self) -> list[ReceivedRequest]:
        return self.provider.received

    async def update(self, body: Any, project_id: str | None = None, **kw: Any) -> Any:
        return await self.client.crm.projects.update(
            self.pid if project_id is None else project_id,
            body,
            integrated_account_id=self.account.id,
            **kw,
        )


@pytest.fixture
async def aclient() -> AsyncIterator[AsyncUnifold]:
    auf = AsyncUnifold(
        store=":memory:",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(_no_network)),
    )
    yield auf
    await auf.aclose()


@pytest.fixture
def make_async_sandbox(aclient: AsyncUnifold) -> Callable[[str], AsyncSandbox]:
    def factory(integration: str) -> AsyncSandbox:
        account = aclient.accounts.create(integration, environment="sandbox")
        provider = _freeze(aclient.accounts.sandbox(account.id))
        return AsyncSandbox(aclient, integration, account, provider)

    return factory
