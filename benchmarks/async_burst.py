"""10. Async bursts: 1,000 and then 5,000 `get`s started at once (`asyncio.gather`) through one
default `AsyncUnifold`, against a sandbox served over loopback HTTP, versus the same wire
requests through a bare `httpx.AsyncClient` bounded the same way (an `asyncio.Semaphore` of
the same size as unifold's `max_concurrency`, and a pool of that many connections).

Unbounded, such a burst used to overflow httpx's pool: calls failed with PoolTimeout after
minutes and the client could stay unusable (issue 13, D1). Each burst runs on a fresh pair of
clients, unified and bare alternating who goes first (3 rounds of 1,000, 2 of 5,000; the median
wall time counts); after each burst the client serves one more call (it must still work).
Every exception and every non-2xx answer is an error."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import httpx

from benchmarks import _common as c

NAME = "async_burst"
TITLE = "10. async bursts"
INTEGRATION = "capsule"


async def _burst(origin: str, size: int, unified_first: bool) -> dict[str, Any]:
    from unifold import AsyncUnifold
    from unifold._client import DEFAULT_TIMEOUT
    from unifold._engine.limits import DEFAULT_MAX_CONCURRENCY
    from unifold.sandbox import SANDBOX_CREDENTIALS, SEED_PROJECT_IDS

    pid = SEED_PROJECT_IDS[INTEGRATION][0]
    base_url = origin + c.base_path(INTEGRATION)
    uf = AsyncUnifold(store=":memory:")
    acct = uf.accounts.create(INTEGRATION, environment="sandbox", base_url=base_url)
    bound = DEFAULT_MAX_CONCURRENCY
    limits = httpx.Limits(max_connections=bound, max_keepalive_connections=bound)
    bare = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=False, limits=limits)
    gate = asyncio.Semaphore(bound)
    headers = {
        "Authorization": f"Bearer {SANDBOX_CREDENTIALS[INTEGRATION]['token']}",
        "Accept": "application/json",
    }
    url = f"{base_url}/kases/{pid}"

    async def unified_one() -> None:
        await uf.crm.projects.get(pid, integrated_account_id=acct.id)

    async def bare_one() -> None:
        async with gate:
            resp = await bare.get(url, headers=headers)
        if resp.status_code >= 400:
            raise RuntimeError(f"bare answer {resp.status_code}")
        json.loads(resp.content)

    sides = {"unified": unified_one, "bare": bare_one}
    out: dict[str, Any] = {}
    try:
        for side in ("unified", "bare") if unified_first else ("bare", "unified"):
            start, cpu = time.perf_counter(), time.process_time()
            results = await asyncio.gather(
                *(sides[side]() for _ in range(size)), return_exceptions=True
            )
            wall = time.perf_counter() - start
            failed = [r for r in results if isinstance(r, BaseException)]
            out[side] = {
                "wall_s": wall,
                "calls_per_s": size / wall,
                "client_cpu_ms_per_call": (time.process_time() - cpu) / size * 1000,
                "errors": len(failed),
                "first_error": repr(failed[0])[:200] if failed else None,
            }
        after = time.perf_counter()
        await asyncio.wait_for(unified_one(), 30)  # the client still serves after the burst
        out["serves_after_s"] = time.perf_counter() - after
    finally:
        await uf.aclose()
        await bare.aclose()
    return out


def run(quick: bool = False) -> dict[str, Any]:
    # (burst size, rounds); rounds alternate who goes first and the medians count.
    plan = ((50, 1), (200, 1)) if quick else ((1000, 3), (5000, 2))
    bursts: dict[str, Any] = {}
    with c.LoopbackServer.sandbox(INTEGRATION) as server:
        for size, rounds in plan:
            runs = [
                asyncio.run(_burst(server.origin, size, unified_first=r % 2 == 0))
                for r in range(rounds)
            ]
            burst: dict[str, Any] = {"rounds": rounds}
            for side in ("unified", "bare"):
                walls = [run[side]["wall_s"] for run in runs]
                wall = statistics.median(walls)
                burst[side] = {
                    "wall_s": wall,
                    "wall_s_all": walls,
                    "calls_per_s": size / wall,
                    "client_cpu_ms_per_call": statistics.median(
                        run[side]["client_cpu_ms_per_call"] for run in runs
                    ),
                    "errors": sum(run[side]["errors"] for run in runs),
                    "first_error": next(
                        (run[side]["first_error"] for run in runs if run[side]["first_error"]),
                        None,
                    ),
                }
            burst["serves_after_s"] = max(run["serves_after_s"] for run in runs)
            burst["throughput_ratio"] = c.ratio(
                burst["unified"]["calls_per_s"], burst["bare"]["calls_per_s"]
            )
            bursts[str(size)] = burst
    errors = sum(b["unified"]["errors"] + b["bare"]["errors"] for b in bursts.values())
    worst = min(b["throughput_ratio"] for b in bursts.values())
    return {
        "integration": INTEGRATION,
        "bursts": bursts,
        "errors": errors,
        "worst_throughput_ratio": worst,
        "goals": [
            c.goal("burst errors", errors, "== 0", errors == 0),
            c.goal("burst throughput vs bounded bare httpx", worst, ">= 1.0", worst >= 1.0),
        ],
    }


def rows(result: dict[str, Any]) -> list[c.Row]:
    out: list[c.Row] = []
    for size, burst in result["bursts"].items():
        uni, bare = burst["unified"], burst["bare"]
        out.append(
            c.Row(
                f"{result['integration']} x{size} at once: gets/s",
                c.fmt(uni["calls_per_s"], "", 0),
                c.fmt(bare["calls_per_s"], "", 0),
                c.fmt(burst["throughput_ratio"], "x", 3),
                ">= 1.0x",
                burst["throughput_ratio"] >= 1.0,
            )
        )
        out.append(
            c.Row(
                f"x{size}: wall s / client CPU ms per call",
                f"{uni['wall_s']:.2f} / {uni['client_cpu_ms_per_call']:.2f}",
                f"{bare['wall_s']:.2f} / {bare['client_cpu_ms_per_call']:.2f}",
            )
        )
        out.append(
            c.Row(
                f"x{size}: errors (unified + bare)",
                str(uni["errors"] + bare["errors"]),
                goal="0",
                met=uni["errors"] + bare["errors"] == 0,
            )
        )
    return out
