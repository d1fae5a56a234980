"""2. Mapping cost in process: µs per update spent in unifold's own validation and mapping.

No I/O and no emulator in the timed part. The provider's answers are recorded once from the
in-process sandbox; each timed update then runs exactly what the drivers run around the I/O:

    request side:   `_core.prepare("projects", "update", ...)` (account lookup, options, body
                    validation into the integration's pydantic model, flow creation) and advancing
                    the flow to its first `ProviderRequest` (write mapping, request building);
    response side:  feeding the recorded answers back as fresh `ProviderResponse`s (so the
                    JSON is parsed every time) until the flow returns the unified `Project`.

Not included: building the `httpx.Request` (`Endpoint.build`) and the send, which a plain
httpx client pays too. Baseline: what a hand-written client does at minimum with the same
data, `json.dumps` of the wire body plus `json.loads` of every answer.
"""

from __future__ import annotations

import gc
import json
import time
from typing import Any

from benchmarks import _common as c

NAME = "mapping_cost"
TITLE = "2. mapping cost in process"
GOAL_US = 25.0  # issue 8: validation + mapping of an update costs at most this
BODY = {"name": "Benchmark project"}
BLOCK = 50


def _record(uf: Any, acct: Any, pid: str) -> tuple[list[Any], list[tuple[int, Any, bytes]]]:
    """Run one real update against the in-process sandbox; keep its requests and answers."""
    account, conn, flow, _ = uf._core.prepare(
        "projects", "update", None, acct.id, "unified", {}, resource_id=pid, body=BODY
    )
    driver = uf._driver(account, conn)
    requests, answers = [], []
    req = next(flow)
    try:
        while True:
            resp = driver.send(req)
            requests.append(req)
            answers.append((resp.status_code, resp.headers, resp.content))
            req = flow.send(resp)
    except StopIteration:
        pass
    return requests, answers


def measure(integration: str, iterations: int) -> dict[str, Any]:
    from unifold import Unifold
    from unifold._engine.http import ProviderResponse
    from unifold.sandbox import SEED_PROJECT_IDS

    pid = SEED_PROJECT_IDS[integration][0]
    uf = Unifold(store=":memory:")
    acct = uf.accounts.create(integration, environment="sandbox")
    uf.crm.projects.get(pid, integrated_account_id=acct.id)  # once-per-account checks, untimed
    requests, answers = _record(uf, acct, pid)
    core = uf._core
    wire_bodies = [r.json for r in requests if r.has_body]

    def once() -> tuple[float, float, Any]:
        t0 = time.perf_counter()
        _, _, flow, _ = core.prepare(
            "projects", "update", None, acct.id, "unified", {}, resource_id=pid, body=BODY
        )
        next(flow)
        t1 = time.perf_counter()
        result = None
        try:
            for status, headers, content in answers:
                flow.send(ProviderResponse(status, headers, content))
        except StopIteration as stop:
            result = stop.value
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1, result

    def baseline() -> float:
        t0 = time.perf_counter()
        for body in wire_bodies:
            json.dumps(body, separators=(",", ":")).encode()
        for _, _, content in answers:
            if content:
                json.loads(content)
        return time.perf_counter() - t0

    _, _, result = once()
    if type(result).__name__ != "Project":
        raise RuntimeError(f"{integration}: the canned flow returned {type(result).__name__}")
    for _ in range(min(200, iterations)):  # warm up
        once()
        baseline()
    request_side, response_side, totals, base = [], [], [], []
    gc.collect()
    # Alternating blocks: each side runs warm (as in a real loop of updates), and a drift in
    # the machine's speed hits both sides alike.
    for start in range(0, iterations, BLOCK):
        block = range(start, min(start + BLOCK, iterations))
        for _ in block:
            req_t, resp_t, _ = once()
            request_side.append(req_t)
            response_side.append(resp_t)
            totals.append(req_t + resp_t)
        for _ in block:
            base.append(baseline())
    c.profile_loop(f"{NAME} {integration}", once, iterations)
    uf.close()
    total = c.summary(totals, 1e6)
    json_base = c.summary(base, 1e6)
    return {
        "provider_calls": len(answers),
        "response_bytes": sum(len(a[2]) for a in answers),
        "total_us": total,
        "request_side_us": c.summary(request_side, 1e6),
        "response_side_us": c.summary(response_side, 1e6),
        "baseline_json_us": json_base,
        "ratio_median": c.ratio(total["median"], json_base["median"]),
    }


def run(quick: bool = False) -> dict[str, Any]:
    iterations = 50 if quick else 3000
    per = {name: measure(name, iterations) for name in c.INTEGRATIONS}
    goals = [
        c.goal(
            f"{name} mapping µs/update",
            r["total_us"]["median"],
            f"<= {GOAL_US}",
            r["total_us"]["median"] <= GOAL_US,
        )
        for name, r in per.items()
    ]
    return {"iterations": iterations, "body": BODY, "integrations": per, "goals": goals}


def rows(result: dict[str, Any]) -> list[c.Row]:
    out = []
    for name, r in result["integrations"].items():
        total = r["total_us"]["median"]
        out.append(
            c.Row(
                f"{name} µs/update (req {r['request_side_us']['median']:.0f}"
                f" + resp {r['response_side_us']['median']:.0f})",
                c.fmt(total, " µs"),
                c.fmt(r["baseline_json_us"]["median"], " µs"),
                c.fmt(r["ratio_median"], "x", 2),
                f"<= {GOAL_US:.0f} µs",
                total <= GOAL_US,
            )
        )
    return out
