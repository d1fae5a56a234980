"""Shared helpers for the sandbox emulator tests."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import httpx
import pytest

from unifold.sandbox import SANDBOX_CREDENTIALS, SandboxProvider, SandboxTransport, create_provider


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def auth_headers(integration: str) -> dict[str, str]:
    creds = SANDBOX_CREDENTIALS[integration]
    if integration == "insightly":
        return {"Authorization": _basic(creds["api_key"], "")}
    if integration == "pipeliner":
        return {"Authorization": _basic(creds["username"], creds["password"])}
    token = creds.get("token") or creds["access_token"]
    return {"Authorization": f"Bearer {token}"}


ClientFactory = Callable[..., tuple[SandboxProvider, httpx.Client]]


@pytest.fixture
def make_client() -> Iterator[ClientFactory]:
    clients: list[httpx.Client] = []

    def factory(integration: str, *, auth: bool = True) -> tuple[SandboxProvider, httpx.Client]:
        provider = create_provider(integration)
        client = httpx.Client(
            transport=SandboxTransport(provider),
            base_url="http://sandbox.test",
            headers=auth_headers(integration) if auth else {},
        )
        clients.append(client)
        return provider, client

    yield factory
    for client in clients:
        client.close()
