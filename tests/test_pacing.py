"""Proactive pacing (issue 11): requests wait for a slot in their account's budget, shared by
every task and process using the same store, so a bulk job never meets a provider 429.

Against a Teamleader emulator served over real loopback HTTP that enforces its documented 200
requests per window, with the window shortened (`--rate-limit-window`) so this runs in seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests._net import free_port, stopped_on_exit
from unifold import AsyncUnifold, InvalidParameterError, ProviderRateLimitError, Unifold
from unifold._engine.connector import load_connector
from unifold._ratelimit import Budget, Pacer, budgets_of
from unifold.sandbox import SANDBOX_CREDENTIALS, SEED_PROJECT_IDS, create_provider

WINDOW = 1.0  # seconds: the emulator allows 200 requests per WINDOW
LIMIT = 200
TL_TOKEN = SANDBOX_CREDENTIALS["teamleader"]["access_token"]


@pytest.fixture
def served_teamleader() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "unifold.sandbox", "serve", "teamleader", "--port", str(port)]
        + ["--rate-limit-window", str(WINDOW)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    with stopped_on_exit(proc):
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.post(f"{base}/accounts.projects-v2-status", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the Teamleader emulator did not start") from None
                time.sleep(0.1)
        time.sleep(WINDOW)  # the probe's slot is out of the window again
        yield base


def _stats(base: str) -> dict[str, int]:
    return dict(httpx.get(f"{base}/_sandbox/stats").json())


def _rate_limited(base: str) -> int:
    """How many requests the emulator answered 429 (it counts them; see its stats route)."""
    return _stats(base)["rate_limited"]


def test_documented_budgets_are_matrix_data() -> None:
    assert budgets_of(load_connector("teamleader").provider) == (Budget(200, 60.0),)
    assert budgets_of(load_connector("planhat").provider) == (Budget(200, 60.0),)
    assert budgets_of(load_connector("insightly").provider) == (Budget(10, 1.0),)
    assert budgets_of(load_connector("capsule").provider) == (Budget(4000, 3600.0),)
    assert budgets_of(load_connector("pipeliner").provider) == ()


async def test_a_thousand_concurrent_updates_meet_no_429(
    served_teamleader: str, tmp_path: Path
) -> None:
    # A pool without a wait limit: a thousand tasks queue for its connections, not fail.
    http = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=1000), timeout=httpx.Timeout(30, pool=None)
    )
    store = tmp_path / "accounts.sqlite3"
    # At most 20 in flight: a provider serving a deep queue counts its tail late.
    async with http, AsyncUnifold(store=store, http_client=http, max_concurrency=20) as auf:
        acct = auf.accounts.create("teamleader", environment="sandbox", base_url=served_teamleader)
        auf.rate_limits.set(acct.id, [(LIMIT, WINDOW)])
        pid = SEED_PROJECT_IDS["teamleader"][0]
        started = time.monotonic()
        results = await asyncio.gather(
            *(
                auf.crm.projects.update(pid, {"name": f"Run {n}"}, integrated_account_id=acct.id)
                for n in range(1000)
            ),
            return_exceptions=True,
        )
        elapsed = time.monotonic() - started
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    assert _rate_limited(served_teamleader) == 0
    # 2,001 requests (an update and a read-back each, one module check) at 200 per window.
    assert elapsed >= (2001 // LIMIT - 1) * WINDOW
    assert _stats(served_teamleader)["peak"] >= LIMIT * 0.5, "the budget was never approached"


def test_the_served_emulator_refuses_past_its_limit() -> None:
    """The control: past 200 requests in its window the emulator answers 429."""
    provider = create_provider("teamleader")
    provider.enforce_limits(WINDOW)
    provider.clock = lambda: 1_000_000.0  # every request in the same instant
    auth = {"authorization": f"Bearer {TL_TOKEN}"}
    body = json.dumps({"id": SEED_PROJECT_IDS["teamleader"][0]}).encode()
    statuses = [
        provider.handle("POST", "/projects-v2/projects.info", [], auth, body).status
        for _ in range(LIMIT + 1)
    ]
    assert statuses[:LIMIT] == [200] * LIMIT and statuses[LIMIT] == 429
    assert provider.rate_limited == 1
    provider.clock = lambda: 1_000_000.0 + WINDOW
    assert provider.handle("POST", "/projects-v2/projects.info", [], auth, body).status == 200


CHILD = textwrap.dedent(
    """
    import sys
    from unifold import Unifold
    store, account, pid, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with Unifold(store=store) as uf:
        for n in range(count):
            uf.crm.projects.get(pid, integrated_account_id=account)
    """
)


def test_two_processes_sharing_a_store_share_the_budget(
    served_teamleader: str, tmp_path: Path
) -> None:
    store = tmp_path / "accounts.sqlite3"
    with Unifold(store=store) as uf:
        acct = uf.accounts.create("teamleader", environment="sandbox", base_url=served_teamleader)
        uf.rate_limits.set(acct.id, [(LIMIT, WINDOW)])
    pid = SEED_PROJECT_IDS["teamleader"][0]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(store), acct.id, pid, "200"], env=env)
        for _ in range(2)
    ]
    with stopped_on_exit(*children):
        assert [child.wait(120) for child in children] == [0, 0]
    # 400 gets and 2 module checks from two processes: each alone would send its 201 within
    # a window; they stay under 200 per window only by sharing the count.
    assert _rate_limited(served_teamleader) == 0


def test_budgets_are_overridable_per_account_and_shared_through_the_store(
    tmp_path: Path,
) -> None:
    store = tmp_path / "accounts.sqlite3"
    with Unifold(store=store) as uf:
        acct = uf.accounts.create("planhat", {"token": "t"})
        assert uf.rate_limits.get(acct.id) == [(200, 60.0)]
        uf.rate_limits.set(acct.id, [(50, 10)])
    with Unifold(store=store) as other:
        assert other.rate_limits.get(acct.id) == [(50, 10.0)]
        other.rate_limits.set(acct.id, None)
        assert other.rate_limits.get(acct.id) == [(200, 60.0)]
        with pytest.raises(InvalidParameterError):
            other.rate_limits.set(acct.id, [(0, 60)])


def test_a_provider_saying_nothing_is_left_holds_every_caller() -> None:
    pacer = Pacer(None)
    gate = pacer.gate("planhat:a", "a", (Budget(1000, 1.0),))
    assert gate is not None
    gate.observe(0, lambda: 3600)  # X-Rate-Limit-Remaining: 0, reset in an hour
    started = time.monotonic()
    with pytest.raises(ProviderRateLimitError) as caught:
        gate.wait(30, "planhat")
    assert time.monotonic() - started < 1
    assert caught.value.retry_after is not None and caught.value.retry_after > 3000
    gate.observe(0, lambda: 0.3)  # a later, shorter hold does not shorten the one in force
    with pytest.raises(ProviderRateLimitError):
        gate.wait(30, "planhat")


def test_a_short_hold_is_waited_out() -> None:
    pacer = Pacer(None)
    gate = pacer.gate("planhat:b", "b", (Budget(1000, 1.0),))
    assert gate is not None
    gate.observe(0, lambda: 0.4)
    started = time.monotonic()
    gate.wait(30, "planhat")
    assert time.monotonic() - started >= 0.35


def test_pacing_waits_for_a_slot() -> None:
    pacer = Pacer(None)
    gate = pacer.gate("x:c", "c", (Budget(5, 0.5),))
    assert gate is not None
    started = time.monotonic()
    for _ in range(11):
        gate.wait(30, "x")
    assert time.monotonic() - started >= 0.9  # slots 6-10 and 11 wait for two windows


def test_stats_route_is_json(served_teamleader: str) -> None:
    assert json.loads(httpx.get(f"{served_teamleader}/_sandbox/stats").text) == {
        "rate_limited": 0,
        "peak": 1,
    }
