"""1. Update overhead: `Unifold().crm.projects.update(...)` against a sandbox served by uvicorn on
loopback, versus a plain `httpx.Client` sending the very requests unifold put on the wire.

The raw requests are captured from unifold itself (an httpx request hook on a separate client),
so method, URL, query, body bytes and the headers unifold sets are identical. Both clients are
`httpx.Client(timeout=unifold's default, follow_redirects=False)` with one kept-alive
connection; calls alternate one by one (order flipped every call) against the same server.
The raw side also parses the JSON answer, as any hand-written client would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from benchmarks import _common as c

NAME = "update_overhead"
TITLE = "1. update overhead (loopback)"
GOAL_RATIO = 1.05  # issue 8: unifold adds at most 5 % to the same requests sent raw
BODY = {"name": "Benchmark project"}
SENT_HEADERS = ("authorization", "accept", "content-type")


def _capture(origin: str, integration: str, pid: str) -> list[httpx.Request]:
    """The requests one unifold update sends, captured on their way out."""
    from unifold import Unifold

    seen: list[httpx.Request] = []
    with (
        httpx.Client(event_hooks={"request": [seen.append]}) as http,
        Unifold(store=":memory:", http_client=http) as uf,
    ):
        acct = uf.accounts.create(
            integration, environment="sandbox", base_url=origin + c.base_path(integration)
        )
        uf.crm.projects.update(pid, BODY, integrated_account_id=acct.id)
    return seen


def _timed(func: Callable[[], Any]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def measure(integration: str, calls: int, warmup: int) -> dict[str, Any]:
    from unifold import Unifold
    from unifold._client import DEFAULT_TIMEOUT
    from unifold.sandbox import SEED_PROJECT_IDS

    pid = SEED_PROJECT_IDS[integration][0]
    with c.LoopbackServer.sandbox(integration) as server:
        wire = _capture(server.origin, integration, pid)
        replay = [
            (
                r.method,
                str(r.url),
                {k: v for k, v in r.headers.items() if k.lower() in SENT_HEADERS},
                r.content,
            )
            for r in wire
        ]
        errors = 0
        raw_client = httpx.Client(timeout=DEFAULT_TIMEOUT, follow_redirects=False)
        uf = Unifold(store=":memory:", timeout=DEFAULT_TIMEOUT)
        acct = uf.accounts.create(
            integration, environment="sandbox", base_url=server.origin + c.base_path(integration)
        )

        def unified() -> None:
            uf.crm.projects.update(pid, BODY, integrated_account_id=acct.id)

        def raw_send(steps: list[tuple[str, str, dict[str, str], bytes]]) -> None:
            nonlocal errors
            for method, url, headers, content in steps:
                resp = raw_client.request(method, url, content=content, headers=headers)
                if resp.status_code >= 400:
                    errors += 1
                if resp.content:
                    json.loads(resp.content)

        def raw_first() -> None:
            raw_send(replay[:1])

        def raw_all() -> None:
            raw_send(replay)

        sides: dict[str, Callable[[], None]] = {"unified": unified, "raw": raw_first}
        if len(replay) > 1:
            sides["raw_same_calls"] = raw_all
        times: dict[str, list[float]] = {k: [] for k in sides}
        order = list(sides)
        try:
            for i in range(warmup + calls):
                for key in order if i % 2 == 0 else reversed(order):
                    try:
                        elapsed = _timed(sides[key])
                    except Exception:
                        errors += 1
                        continue
                    if i >= warmup:
                        times[key].append(elapsed)
            c.profile_loop(f"{NAME} {integration} unified update", unified, calls)
        finally:
            uf.close()
            raw_client.close()
    out: dict[str, Any] = {
        "provider_calls": len(replay),
        "wire": [f"{r.method} {r.url.raw_path.decode()}" for r in wire],
        "request_body_bytes": len(replay[0][3]),
        "errors": errors,
    }
    for key, values in times.items():
        out[key] = c.summary(values, 1e3)  # ms
    uni, raw = out["unified"], out["raw"]
    out["ratio_median"] = c.ratio(uni["median"], raw["median"])
    out["ratio_p95"] = c.ratio(uni["p95"], raw["p95"])
    same = out.get("raw_same_calls", raw)
    out["ratio_same_calls_median"] = c.ratio(uni["median"], same["median"])
    out["ratio_per_provider_call_median"] = c.ratio(uni["median"] / len(replay), raw["median"])
    return out


def run(quick: bool = False) -> dict[str, Any]:
    calls, warmup = (5, 2) if quick else (300, 30)
    per: dict[str, Any] = {}
    goals = []
    for integration in c.INTEGRATIONS:
        result = per[integration] = measure(integration, calls, warmup)
        # Judged against the raw client sending the same provider calls (for Teamleader: the
        # update and its read-back); the per-call ratio is reported besides.
        value = result["ratio_same_calls_median"]
        goals.append(
            c.goal(f"{integration} update ratio", value, f"<= {GOAL_RATIO}", value <= GOAL_RATIO)
        )
    return {
        "calls_per_side": calls,
        "warmup": warmup,
        "body": BODY,
        "integrations": per,
        "errors": sum(r["errors"] for r in per.values()),
        "goals": goals,
    }


def rows(result: dict[str, Any]) -> list[c.Row]:
    out = []
    for name, r in result["integrations"].items():
        uni, raw = r["unified"], r["raw"]
        met = r["ratio_same_calls_median"] <= GOAL_RATIO
        out.append(
            c.Row(
                f"{name} median / p95 (ms)",
                f"{uni['median']:.3f} / {uni['p95']:.3f}",
                f"{raw['median']:.3f} / {raw['p95']:.3f}",
                f"{r['ratio_median']:.3f} / {r['ratio_p95']:.3f}",
                f"<= {GOAL_RATIO}" if r["provider_calls"] == 1 else "",
                met if r["provider_calls"] == 1 else None,
            )
        )
        if r["provider_calls"] > 1:
            same = r["raw_same_calls"]
            out.append(
                c.Row(
                    f"{name} vs raw sending the same {r['provider_calls']} calls",
                    f"{uni['median']:.3f}",
                    f"{same['median']:.3f}",
                    f"{r['ratio_same_calls_median']:.3f}",
                    f"<= {GOAL_RATIO}",
                    met,
                )
            )
            out.append(
                c.Row(
                    f"{name} per provider call (ms)",
                    f"{uni['median'] / r['provider_calls']:.3f}",
                    f"{raw['median']:.3f}",
                    f"{r['ratio_per_provider_call_median']:.3f}",
                )
            )
    out.append(c.Row("errors", str(result["errors"]), goal="0", met=result["errors"] == 0))
    return out
