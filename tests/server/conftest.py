"""A real unifold server on a free loopback port (uvicorn in a thread of the test process, so
tests can also look at the sandbox emulators behind it), two tenants with a token each. Every
server test runs on both stores: a SQLite file and the throwaway PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._net import uvicorn_thread
from unifold._accounts import AccountStore, open_store
from unifold.generated.crm.registry import INTEGRATIONS as REGISTRY
from unifold.sandbox import SandboxProvider
from unifold.server import create_app
from unifold.server.context import ServerContext

INTEGRATIONS = tuple(REGISTRY)


@dataclass
class Server:
    url: str
    store: Path | None  # the SQLite file, None on PostgreSQL
    context: ServerContext
    tokens: dict[str, str] = field(default_factory=dict)  # tenant -> plaintext
    token_ids: dict[str, str] = field(default_factory=dict)

    def client(self, tenant: str | None = "acme", **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[tenant]}"} if tenant else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kw)

    def sandbox(self, account_id: str) -> SandboxProvider:
        """The emulator behind a sandbox account, inside the server."""
        return self.context.client.accounts.sandbox(account_id)


def start(store: AccountStore, file: Path | None) -> Iterator[Server]:
    app = create_app(store)
    try:  # the store is closed on every path, a failed start included
        with uvicorn_thread(app, lifespan="on") as origin:
            running = Server(origin, file, app.state.context)
            for tenant in ("acme", "globex"):
                token, plaintext = running.context.store.create_token(tenant, "tests")
                running.tokens[tenant] = plaintext
                running.token_ids[tenant] = token.id
            yield running
    finally:
        store.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    if request.param == "sqlite":
        file = tmp_path_factory.mktemp("server") / "store.sqlite3"
        yield from start(open_store(file), file)
        return
    import psycopg
    from cryptography.fernet import Fernet

    admin = request.getfixturevalue("postgres_server")
    schema = "server_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{admin}?options=-csearch_path%3D{schema}"
    try:
        yield from start(open_store(url, key=Fernet.generate_key().decode()), None)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(scope="module")
def acme(server: Server) -> Iterator[httpx.Client]:
    with server.client("acme") as client:
        yield client


def new_account(client: httpx.Client, integration: str) -> str:
    response = client.post(
        "/integrated-account", json={"integration": integration, "environment": "sandbox"}
    )
    assert response.status_code == 201, response.text
    account_id: str = response.json()["id"]
    return account_id
