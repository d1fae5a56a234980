"""`truto_response_format=stream` passes the provider's bytes on as they arrive: the caller
reads the first chunk while the provider has not yet sent the rest."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from tests._net import uvicorn_thread
from tests.server.conftest import Server
from unifold.sandbox import SEED_PROJECT_IDS

FIRST = b'{"_id": "64b7f1d2a2b3c4d5e6f71001", "name": "Streamed", '
REST = b'"description": "sent after the caller saw the first chunk"}'


class SlowProvider:
    """A provider that sends the first chunk, then waits until the test lets it finish."""

    def __init__(self) -> None:
        self.gate = threading.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": FIRST, "more_body": True})
        await anyio.to_thread.run_sync(self.gate.wait, 10)
        await send({"type": "http.response.body", "body": REST, "more_body": False})


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[SlowProvider, str]]:
    app = SlowProvider()
    with uvicorn_thread(app) as origin:
        try:
            yield app, origin
        finally:
            app.gate.set()  # a response still waiting must not hold the server's shutdown


def test_stream_is_not_buffered(server: Server, provider: tuple[SlowProvider, str]) -> None:
    slow, base_url = provider
    slow.gate.clear()
    # A sandbox account on a loopback emulator URL (the library's `base_url`; not offered
    # over HTTP), owned by the tenant.
    account = server.context.client.accounts.create(
        "planhat", environment="sandbox", base_url=base_url, tenant="acme"
    )
    pid = SEED_PROJECT_IDS["planhat"][0]
    with (
        server.client("acme") as acme,
        acme.stream(
            "GET",
            f"/unified/crm/projects/{pid}",
            params={"integrated_account_id": account.id, "truto_response_format": "stream"},
        ) as response,
    ):
        assert response.status_code == 200
        chunks = response.iter_raw()
        received = next(chunks)
        assert not slow.gate.is_set()
        assert FIRST.startswith(received)  # it arrived while the provider still held the rest
        slow.gate.set()
        received += b"".join(chunks)
    assert received == FIRST + REST
