"""Bounded concurrency: a burst of async calls never has more than the client's bound in flight
(per client and per account), and the client keeps serving afterwards."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from tests._planhat_stub import BASE, PID, RECORD
from unifold import AsyncUnifold, Unifold


@pytest.fixture(autouse=True)
def _unpaced(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pacing at Planhat's 200 requests/min is not what these tests measure (test_pacing is).
    monkeypatch.setattr("unifold._client.budgets_of", lambda provider: ())


class Gauge:
    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.total = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.total += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


class SlowTransport(httpx.AsyncBaseTransport):
    def __init__(self, gauge: Gauge) -> None:
        self.gauge = gauge

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.gauge.enter()
        try:
            await asyncio.sleep(0.002)
            return httpx.Response(200, json=RECORD)
        finally:
            self.gauge.leave()


async def test_a_burst_is_bounded_by_the_default_limit() -> None:
    gauge = Gauge()
    http = httpx.AsyncClient(transport=SlowTransport(gauge))
    async with AsyncUnifold(store=":memory:", http_client=http) as uf:
        acct = uf.accounts.create("planhat", {"token": "t"}, base_url=BASE)
        results = await asyncio.gather(
            *(uf.crm.projects.get(PID, integrated_account_id=acct.id) for _ in range(400)),
            return_exceptions=True,
        )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert gauge.total == 400
    assert 50 <= gauge.peak <= 100  # the default bound, and it is actually used


async def test_per_account_and_per_client_bounds() -> None:
    gauge = Gauge()
    http = httpx.AsyncClient(transport=SlowTransport(gauge))
    async with AsyncUnifold(
        store=":memory:", http_client=http, max_concurrency=8, max_concurrency_per_account=3
    ) as uf:
        one = uf.accounts.create("planhat", {"token": "t"}, base_url=BASE)
        await asyncio.gather(
            *(uf.crm.projects.get(PID, integrated_account_id=one.id) for _ in range(60))
        )
        assert gauge.peak == 3
        accounts = [
            uf.accounts.create("planhat", {"token": "t"}, base_url=BASE).id for _ in range(5)
        ]
        gauge.peak = 0
        await asyncio.gather(
            *(uf.crm.projects.get(PID, integrated_account_id=accounts[i % 5]) for i in range(100))
        )
        assert gauge.peak == 8


async def test_a_client_serves_again_in_a_new_event_loop() -> None:
    gauge = Gauge()
    uf = AsyncUnifold(
        store=":memory:", http_client=httpx.AsyncClient(transport=SlowTransport(gauge))
    )
    acct = uf.accounts.create("planhat", {"token": "t"}, base_url=BASE)
    await uf.crm.projects.get(PID, integrated_account_id=acct.id)

    def other_loop() -> str:
        return asyncio.run(uf.crm.projects.get(PID, integrated_account_id=acct.id)).id  # type: ignore[no-any-return]

    assert await asyncio.to_thread(other_loop) == PID


def test_sync_threads_are_bounded() -> None:
    gauge = Gauge()

    def handler(request: httpx.Request) -> httpx.Response:
        gauge.enter()
        try:
            time.sleep(0.005)
            return httpx.Response(200, json=RECORD)
        finally:
            gauge.leave()

    http = httpx.Client(transport=httpx.MockTransport(handler))
    uf = Unifold(store=":memory:", http_client=http, max_concurrency=4)
    acct = uf.accounts.create("planhat", {"token": "t"}, base_url=BASE)
    threads = [
        threading.Thread(
            target=lambda: [
                uf.crm.projects.get(PID, integrated_account_id=acct.id) for _ in range(5)
            ]
        )
        for _ in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gauge.total == 80 and gauge.peak == 4


@pytest.mark.parametrize("cls", [Unifold, AsyncUnifold])
def test_own_pool_is_sized_to_the_bound(cls: type) -> None:
    uf = cls(store=":memory:", max_concurrency=7)
    pool = uf._http._transport._pool
    assert pool._max_connections == 7 and pool._max_keepalive_connections == 7


def test_an_async_client_serves_two_asyncio_runs_over_real_sockets() -> None:
    import http.server
    import json as _json

    body = _json.dumps(RECORD).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the pool holds the connection

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        uf = AsyncUnifold(store=":memory:")
        base = f"http://127.0.0.1:{server.server_address[1]}"
        acct = uf.accounts.create("planhat", {"token": "t"}, base_url=base)
        for _ in range(2):  # the second run used to fail: 'Event loop is closed'
            project = asyncio.run(uf.crm.projects.get(PID, integrated_account_id=acct.id))
            assert project.id == PID
    finally:
        server.shutdown()
        server.server_close()
