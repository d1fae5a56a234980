"""9. Server overhead: one update through `unifold serve` (HTTP on loopback, one worker) versus
the library call it wraps, `Unifold().crm.projects.update(...)`, against the same loopback
sandbox; and updates/s through the server with 1 and with 2 workers.

Overhead: calls alternate one by one (order flipped every call), each side on its own kept-alive
connection; the server gets the request Truto's clients send (PATCH with
`integrated_account_id` and a JSON body). Throughput: 8 concurrent updates at a time from one
async client for a fixed time, on in-process sandbox accounts (each worker has its own
emulator, so the provider is not the bottleneck); the client shares the machine's cores with
the server, so the 2-worker figure is bounded by them.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks import _common as c
from benchmarks.update_overhead import BODY

NAME = "server_overhead"
TITLE = "9. server overhead and throughput"
INTEGRATION = "capsule"
CONCURRENCY = 8


def _serve(store: Path, workers: int) -> c.LoopbackServer:
    port = c.free_port()
    argv = [
        c.PYTHON, "-m", "unifold", "serve", "--port", str(port), "--workers", str(workers),
        "--store", str(store), "--log-level", "warning",
    ]  # fmt: skip
    return c.LoopbackServer(argv, port)


def _wait_ready(origin: str, token: str) -> None:
    deadline = time.monotonic() + c.SERVER_START_TIMEOUT
    headers = {"Authorization": f"Bearer {token}"}
    while httpx.get(origin + "/integrated-account", headers=headers).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the unifold server did not answer")
        time.sleep(0.05)


@dataclass
class Setup:
    """One store: a token, an account on the loopback sandbox (for the overhead) and an
    in-process sandbox account (for throughput)."""

    store: Path
    token: str
    loopback_account: str
    in_process_account: str


def overhead(setup: Setup, origin: str, calls: int, warmup: int) -> dict[str, Any]:
    from unifold import Unifold
    from unifold._client import DEFAULT_TIMEOUT
    from unifold.sandbox import SEED_PROJECT_IDS

    pid = SEED_PROJECT_IDS[INTEGRATION][0]
    account = setup.loopback_account
    errors = 0
    uf = Unifold(store=setup.store, timeout=DEFAULT_TIMEOUT)
    http = httpx.Client(
        base_url=origin, headers={"Authorization": f"Bearer {setup.token}"}, timeout=DEFAULT_TIMEOUT
    )
    url = f"/unified/crm/projects/{pid}?integrated_account_id={account}"

    def library() -> None:
        uf.crm.projects.update(pid, BODY, integrated_account_id=account)

    def served() -> None:
        nonlocal errors
        if http.patch(url, json=BODY).status_code != 200:
            errors += 1

    sides = {"library": library, "server": served}
    times: dict[str, list[float]] = {k: [] for k in sides}
    try:
        for i in range(warmup + calls):
            for key in sides if i % 2 == 0 else reversed(sides):
                start = time.perf_counter()
                sides[key]()
                if i >= warmup:
                    times[key].append(time.perf_counter() - start)
    finally:
        http.close()
        uf.close()
    lib, srv = c.summary(times["library"], 1e3), c.summary(times["server"], 1e3)
    return {
        "library": lib,
        "server": srv,
        "overhead_ms_median": srv["median"] - lib["median"],
        "ratio_median": c.ratio(srv["median"], lib["median"]),
        "ratio_p95": c.ratio(srv["p95"], lib["p95"]),
        "errors": errors,
    }


async def _load(origin: str, token: str, url: str, seconds: float) -> tuple[int, int, float]:
    done = errors = 0
    async with httpx.AsyncClient(
        base_url=origin,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        limits=httpx.Limits(max_connections=CONCURRENCY),
    ) as http:

        async def worker(stop: float) -> None:
            nonlocal done, errors
            while time.perf_counter() < stop:
                response = await http.patch(url, json=BODY)
                done += 1
                errors += response.status_code != 200

        warm = time.perf_counter() + min(1.0, seconds)
        await asyncio.gather(*(worker(warm) for _ in range(CONCURRENCY)))  # connections, caches
        done = errors = 0
        start = time.perf_counter()
        await asyncio.gather(*(worker(start + seconds) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
    return done, errors, elapsed


def throughput(setup: Setup, origin: str, seconds: float) -> dict[str, Any]:
    from unifold.sandbox import SEED_PROJECT_IDS

    pid = SEED_PROJECT_IDS[INTEGRATION][0]
    url = f"/unified/crm/projects/{pid}?integrated_account_id={setup.in_process_account}"
    done, errors, elapsed = asyncio.run(_load(origin, setup.token, url, seconds))
    return {"updates": done, "seconds": elapsed, "updates_per_s": done / elapsed, "errors": errors}


def run(quick: bool = False) -> dict[str, Any]:
    from unifold import Unifold

    calls, warmup, seconds = (5, 2, 0.3) if quick else (300, 30, 5.0)
    result: dict[str, Any] = {"throughput": {}}
    with (
        tempfile.TemporaryDirectory(prefix="unifold-bench-server-") as tmp,
        c.LoopbackServer.sandbox(INTEGRATION) as provider,
    ):
        store = Path(tmp) / "store.sqlite3"
        # base_url is not offered over HTTP: the accounts are made with the library.
        with Unifold(store=store) as uf:
            loopback = uf.accounts.create(
                INTEGRATION,
                environment="sandbox",
                base_url=provider.origin + c.base_path(INTEGRATION),
                tenant="bench",
            )
            in_process = uf.accounts.create(INTEGRATION, environment="sandbox", tenant="bench")
            _, token = uf._core._store.create_token("bench")
        setup = Setup(store, token, loopback.id, in_process.id)
        # --quick (the smoke test) starts one server; the full run compares 1 and 2 workers.
        for workers in (1,) if quick else (1, 2):
            with _serve(store, workers) as server:
                _wait_ready(server.origin, token)
                if workers == 1:
                    result["overhead"] = overhead(setup, server.origin, calls, warmup)
                result["throughput"][str(workers)] = throughput(setup, server.origin, seconds)
    tput = result["throughput"]
    if "2" in tput:
        result["workers_2_vs_1"] = c.ratio(tput["2"]["updates_per_s"], tput["1"]["updates_per_s"])
    result["errors"] = result["overhead"]["errors"] + sum(t["errors"] for t in tput.values())
    result["goals"] = []
    return result


def rows(result: dict[str, Any]) -> list[c.Row]:
    o = result["overhead"]
    out = [
        c.Row(
            "update via server / library, median (ms)",
            f"{o['server']['median']:.3f}",
            f"{o['library']['median']:.3f}",
            f"{o['ratio_median']:.3f}",
        ),
        c.Row("server overhead per update, median (ms)", f"{o['overhead_ms_median']:.3f}"),
    ]
    for workers, t in result["throughput"].items():
        out.append(c.Row(f"updates/s, {workers} worker(s)", f"{t['updates_per_s']:.0f}"))
    if "workers_2_vs_1" in result:
        out.append(c.Row("2 workers / 1 worker", "", "", f"{result['workers_2_vs_1']:.2f}"))
    out.append(c.Row("errors", str(result["errors"]), goal="0", met=result["errors"] == 0))
    return out
