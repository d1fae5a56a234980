"""4. Async concurrency: 500 concurrent updates through `AsyncUnifold` against one loopback
sandbox, versus the same wire requests through a plain `httpx.AsyncClient`.

Both clients use httpx's default pool (100 connections) and unifold's default timeout. A
round starts all updates at once (`asyncio.gather`) and times until the last one finished;
rounds alternate unified / raw and the median round counts (the best round is shown too).
Before each round, a burst of 100 updates refills the pool, so every round starts alike. This
process's CPU time per round is reported too (the client is CPU-bound here). Every exception
and every non-2xx answer is an error."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import httpx

from benchmarks import _common as c
from benchmarks.update_overhead import BODY, SENT_HEADERS

NAME = "async_concurrency"
TITLE = "4. async concurrency"
INTEGRATION = "capsule"
POOL_WARMUP = 100  # httpx's default max_connections


async def _rounds(origin: str, concurrency: int, rounds: int) -> dict[str, Any]:
    from unifold import AsyncUnifold
    from unifold._client import DEFAULT_TIMEOUT
    from unifold.sandbox import SEED_PROJECT_IDS

    pids = SEED_PROJECT_IDS[INTEGRATION]
    base_url = origin + c.base_path(INTEGRATION)
    errors = {"unified": 0, "raw": 0}
    wire: dict[str, tuple[str, str, dict[str, str], bytes]] = {}

    def capture(request: httpx.Request) -> None:
        headers = {k: v for k, v in request.headers.items() if k.lower() in SENT_HEADERS}
        wire[request.url.path] = (request.method, str(request.url), headers, request.content)

    async def hook(request: httpx.Request) -> None:
        capture(request)

    # The exact requests unifold sends for each project id, captured on the way out.
    async with (
        httpx.AsyncClient(event_hooks={"request": [hook]}) as http,
        AsyncUnifold(store=":memory:", http_client=http) as probe,
    ):
        acct = probe.accounts.create(INTEGRATION, environment="sandbox", base_url=base_url)
        for pid in pids:
            await probe.crm.projects.update(pid, BODY, integrated_account_id=acct.id)
    replay = list(wire.values())

    uf = AsyncUnifold(store=":memory:", timeout=DEFAULT_TIMEOUT)
    raw = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT, follow_redirects=False)
    acct = uf.accounts.create(INTEGRATION, environment="sandbox", base_url=base_url)

    async def unified_one(i: int) -> None:
        await uf.crm.projects.update(pids[i % len(pids)], BODY, integrated_account_id=acct.id)

    async def raw_one(i: int) -> None:
        method, url, headers, content = replay[i % len(replay)]
        resp = await raw.request(method, url, content=content, headers=headers)
        if resp.status_code >= 400:
            raise RuntimeError(f"raw answer {resp.status_code}")
        json.loads(resp.content)

    sides = {"unified": unified_one, "raw": raw_one}
    walls: dict[str, list[float]] = {"unified": [], "raw": []}
    cpus: dict[str, list[float]] = {"unified": [], "raw": []}
    try:
        for r in range(rounds):
            for side in ("unified", "raw") if r % 2 == 0 else ("raw", "unified"):
                # Refill the pool first, so every round starts from the same state: fresh
                # kept-alive connections (an idle one past uvicorn's 5 s keep-alive is closed by
                # the server, and a pool holding such connections is several times slower).
                await asyncio.gather(
                    *(sides[side](i) for i in range(min(POOL_WARMUP, concurrency)))
                )
                start, cpu = time.perf_counter(), time.process_time()
                results = await asyncio.gather(
                    *(sides[side](i) for i in range(concurrency)), return_exceptions=True
                )
                walls[side].append(time.perf_counter() - start)
                cpus[side].append(time.process_time() - cpu)
                errors[side] += sum(isinstance(x, BaseException) for x in results)
    finally:
        await uf.aclose()
        await raw.aclose()
    out: dict[str, Any] = {}
    for side, values in walls.items():
        wall = statistics.median(values)
        out[side] = {
            "wall_s_median": wall,
            "wall_s_min": min(values),
            "wall_s_all": values,
            "updates_per_s": concurrency / wall,
            # This process's CPU per update: steadier than wall time on a shared machine.
            "client_cpu_ms_per_update": statistics.median(cpus[side]) / concurrency * 1000,
            "errors": errors[side],
        }
    return out


def run(quick: bool = False) -> dict[str, Any]:
    concurrency, rounds = (20, 1) if quick else (500, 6)
    with c.LoopbackServer.sandbox(INTEGRATION) as server:
        sides = asyncio.run(_rounds(server.origin, concurrency, rounds))
    errors = sides["unified"]["errors"] + sides["raw"]["errors"]
    throughput_ratio = c.ratio(sides["unified"]["updates_per_s"], sides["raw"]["updates_per_s"])
    best_round_ratio = c.ratio(sides["raw"]["wall_s_min"], sides["unified"]["wall_s_min"])
    cpu_ratio = c.ratio(
        sides["unified"]["client_cpu_ms_per_update"], sides["raw"]["client_cpu_ms_per_update"]
    )
    return {
        "integration": INTEGRATION,
        "concurrency": concurrency,
        "rounds": rounds,
        "unified": sides["unified"],
        "raw": sides["raw"],
        "throughput_ratio": throughput_ratio,
        "best_round_throughput_ratio": best_round_ratio,
        "client_cpu_ratio": cpu_ratio,
        "errors": errors,
        "goals": [c.goal("async errors", errors, "== 0", errors == 0)],
    }


def rows(result: dict[str, Any]) -> list[c.Row]:
    uni, raw = result["unified"], result["raw"]
    return [
        c.Row(
            f"{result['integration']} x{result['concurrency']} concurrent: updates/s",
            c.fmt(uni["updates_per_s"], "", 0),
            c.fmt(raw["updates_per_s"], "", 0),
            c.fmt(result["throughput_ratio"], "x", 3),
        ),
        c.Row(
            "best round: updates/s",
            c.fmt(result["concurrency"] / uni["wall_s_min"], "", 0),
            c.fmt(result["concurrency"] / raw["wall_s_min"], "", 0),
            c.fmt(result["best_round_throughput_ratio"], "x", 3),
        ),
        c.Row(
            "client CPU per update (ms)",
            c.fmt(uni["client_cpu_ms_per_update"], "", 3),
            c.fmt(raw["client_cpu_ms_per_update"], "", 3),
            c.fmt(result["client_cpu_ratio"], "x", 3),
        ),
        c.Row(
            "errors (unified + raw)",
            str(result["errors"]),
            goal="0",
            met=result["errors"] == 0,
        ),
    ]
