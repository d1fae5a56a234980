"""Cancelling an async multi-call write part-way (or letting `asyncio.timeout` do it) records how
far it got on the CancelledError / TimeoutError: applied calls, the one in flight, the rest
(probe D6)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from unifold import AsyncUnifold, WriteProgress
from unifold.sandbox import (
    SANDBOX_CREDENTIALS,
    SEED_PROJECT_IDS,
    SEED_REFERENCES,
    SandboxTransport,
    create_provider,
)

TL = SEED_REFERENCES["teamleader"]
PID = SEED_PROJECT_IDS["teamleader"][0]


class StallOn(httpx.AsyncBaseTransport):
    """The Teamleader emulator, except that one endpoint never answers."""

    def __init__(self, endpoint: str) -> None:
        self.provider = create_provider("teamleader")
        self.inner = SandboxTransport(self.provider)
        self.endpoint = endpoint
        self.reached = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        if request.url.path.endswith(self.endpoint):
            self.reached.set()
            await asyncio.sleep(3600)
        return self.inner.handle_request(request)


async def start(endpoint: str) -> tuple[AsyncUnifold, str, StallOn]:
    transport = StallOn(endpoint)
    uf = AsyncUnifold(store=":memory:", http_client=httpx.AsyncClient(transport=transport))
    acct = uf.accounts.create(
        "teamleader", SANDBOX_CREDENTIALS["teamleader"], base_url="http://127.0.0.1:9"
    )
    return uf, acct.id, transport


def owner_change(uf: AsyncUnifold, acct: str):  # type: ignore[no-untyped-def]
    return uf.crm.projects.update(
        PID, {"name": "n", "owner": {"id": TL["users"][1]}}, integrated_account_id=acct
    )


async def test_cancel_while_a_later_call_is_in_flight() -> None:
    uf, acct, transport = await start("projects.addOwner")
    task = asyncio.create_task(owner_change(uf, acct))
    await asyncio.wait_for(transport.reached.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError) as caught:
        await task
    progress = WriteProgress.of(caught.value)
    assert progress == WriteProgress(
        applied=["POST /projects-v2/projects.update"],
        in_flight=f"addOwner {TL['users'][1]}",
        not_applied=[f"removeOwner {TL['users'][0]}"],
    )
    assert any("interrupted" in note for note in caught.value.__notes__)
    await uf.aclose()


async def test_a_timeout_keeps_the_record_on_its_cause() -> None:
    uf, acct, _ = await start("projects.removeOwner")
    with pytest.raises(TimeoutError) as caught:
        async with asyncio.timeout(0.5):
            await owner_change(uf, acct)
    progress = WriteProgress.of(caught.value)
    assert progress is not None
    assert progress.in_flight == f"removeOwner {TL['users'][0]}"
    assert len(progress.applied) == 2 and progress.not_applied == []
    await uf.aclose()


async def test_a_cancelled_read_records_nothing() -> None:
    uf, acct, transport = await start("projects.info")
    task = asyncio.create_task(uf.crm.projects.get(PID, integrated_account_id=acct))
    await asyncio.wait_for(transport.reached.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError) as caught:
        await task
    assert WriteProgress.of(caught.value) is None
    await uf.aclose()
