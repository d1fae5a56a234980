"""7. Import time and first use.

`python -X importtime -c "import unifold"`: the sum of the cumulative times of the top-level
entries the statement triggers (a marker import, `__hello__`, separates them from the
interpreter's start-up). Summing every top-level entry matters: unifold's exports load through
`importlib.import_module`, whose own entry importtime does not print, so the modules they pull
in show up at the top level. Also measured: `from unifold import Unifold` (what a program
actually runs: it pulls in httpx and pydantic) and, as the baseline, unifold's dependencies
alone (`import httpx` and `from pydantic import BaseModel`). Each figure is the median of
several fresh interpreters.

Bytecode: an installed package has its `.pyc` files, but this environment sets
PYTHONDONTWRITEBYTECODE=1, so the editable unifold is compiled on every start. The main figures
therefore run with a bytecode cache in a temporary PYTHONPYCACHEPREFIX (filled by one warm-up
run); the environment's own setting is measured too (`no_bytecode_cache`).

First use (`benchmarks._first_use`, a fresh process per integration, bytecode cached): import,
client plus in-process sandbox account, first update, and a warm second update to compare.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from typing import Any

from benchmarks import _common as c

NAME = "import_time"
TITLE = "7. import time"
GOAL_MS = 150.0
SNIPPETS = {
    "import unifold": "import unifold",
    "from unifold import Unifold": "from unifold import Unifold",
    "dependencies (httpx, pydantic)": "import httpx; from pydantic import BaseModel",
}
MARKER = "__hello__"  # a frozen stdlib module that prints nothing when imported
HTTPX_CLI = "httpx._main"  # httpx's CLI: imports click, rich and pygments when installed


def _env(pycache: str | None) -> dict[str, str]:
    env = c.env_without_pythonpath_noise()
    env.pop("PYTHONPYCACHEPREFIX", None)
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def importtime(code: str, env: dict[str, str]) -> tuple[float, float]:
    """(ms of the top-level entries after the marker, ms of httpx's CLI module among them)."""
    out = c.run_python(["-X", "importtime", "-c", f"import {MARKER}; {code}"], env=env)
    total, cli, started = 0, 0, False
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line.split("|")
        if not cumulative.strip().isdigit():
            continue  # the header
        if name.strip() == HTTPX_CLI:
            cli += int(cumulative)
        if name.startswith("  "):
            continue  # nested entry (counted in its parent)
        if started:
            total += int(cumulative)
        elif name.strip() == MARKER:
            started = True
    if not started:
        raise RuntimeError("importtime output has no marker entry")
    return total / 1000, cli / 1000


def _medians(env: dict[str, str], repeats: int) -> dict[str, Any]:
    # Round-robin over the snippets, so a drift in the machine's speed hits them all alike.
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in SNIPPETS}
    for _ in range(repeats):
        for label, code in SNIPPETS.items():
            samples[label].append(importtime(code, env))
    out: dict[str, Any] = {}
    for label, runs in samples.items():
        out[label] = {
            "median_ms": statistics.median(r[0] for r in runs),
            "all_ms": [r[0] for r in runs],
            "httpx_cli_median_ms": statistics.median(r[1] for r in runs),
        }
    return out


def run(quick: bool = False) -> dict[str, Any]:
    repeats = 1 if quick else 9
    integrations = ("capsule",) if quick else c.INTEGRATIONS
    with tempfile.TemporaryDirectory(prefix="unifold-bench-pyc-") as pycache:
        cached = _env(pycache)
        # Fills the bytecode cache (and the OS file cache) before anything is timed.
        for name in integrations:
            c.run_python(["-m", "benchmarks._first_use", name], env=cached)
        imports = _medians(cached, repeats)
        first_use: dict[str, Any] = {}
        for name in integrations:
            out = c.run_python(["-m", "benchmarks._first_use", name], env=cached)
            data = json.loads(out.stdout.strip().splitlines()[-1])
            first_use[name] = {k: v * 1000 for k, v in data.items()}  # ms
            first_use[name]["first_vs_warm_update"] = c.ratio(
                data["first_update_s"], data["warm_update_s"]
            )
    uncached = _medians(_env(None), repeats)
    package = imports["import unifold"]["median_ms"]
    client = imports["from unifold import Unifold"]["median_ms"]
    deps = imports["dependencies (httpx, pydantic)"]["median_ms"]
    return {
        "repeats": repeats,
        "importtime": imports,
        "import_unifold_ms": package,
        "import_client_ms": client,
        "dependencies_ms": deps,
        "httpx_cli_ms": imports["dependencies (httpx, pydantic)"]["httpx_cli_median_ms"],
        "client_ratio_vs_dependencies": c.ratio(client, deps),
        "no_bytecode_cache": uncached,
        "first_use_ms": first_use,
        "goals": [c.goal("import unifold (ms)", package, f"< {GOAL_MS:.0f}", package < GOAL_MS)],
    }


def rows(result: dict[str, Any]) -> list[c.Row]:
    deps = result["dependencies_ms"]
    nocache = result["no_bytecode_cache"]
    out = [
        c.Row(
            "import unifold (importtime)",
            c.fmt(result["import_unifold_ms"], " ms"),
            c.fmt(deps, " ms deps"),
            c.fmt(c.ratio(result["import_unifold_ms"], deps), "x", 2),
            f"< {GOAL_MS:.0f} ms",
            result["import_unifold_ms"] < GOAL_MS,
        ),
        c.Row(
            "from unifold import Unifold (importtime)",
            c.fmt(result["import_client_ms"], " ms"),
            c.fmt(deps, " ms deps"),
            c.fmt(result["client_ratio_vs_dependencies"], "x", 2),
            "(info)",
        ),
        c.Row(
            "  of the deps: httpx CLI (click, rich, pygments)",
            c.fmt(result["httpx_cli_ms"], " ms"),
        ),
        c.Row(
            "without bytecode cache: import unifold / client",
            c.fmt(nocache["import unifold"]["median_ms"], " ms")
            + " / "
            + c.fmt(nocache["from unifold import Unifold"]["median_ms"], " ms"),
            c.fmt(nocache["dependencies (httpx, pydantic)"]["median_ms"], " ms deps"),
        ),
    ]
    for name, r in result["first_use_ms"].items():
        out.append(
            c.Row(
                f"{name} first use: import+client+1st update",
                c.fmt(r["total_s"], " ms"),
                c.fmt(r["warm_update_s"], " ms warm upd."),
                c.fmt(r["first_vs_warm_update"], "x", 0) + " (1st/warm upd.)",
            )
        )
    return out
