"""8. iter memory: peak RSS while `projects.iter` walks 100,000 records (Planhat's page size,
2,000), versus the same walk keeping every record.

Each mode runs in a fresh child process (`benchmarks._iter_child`, started through the same
trampoline as stream_memory so its peak RSS is its own). The baseline is the peak after two
full pages; flat memory means the peak at the end stays there.
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks import _common as c
from benchmarks.stream_memory import TRAMPOLINE

NAME = "iter_memory"
TITLE = "8. iter memory"
GOAL_MB = 10.0
MODES = ("iter", "keep")


def run(quick: bool = False) -> dict[str, Any]:
    total = 10_000 if quick else 100_000
    modes: dict[str, Any] = {}
    for mode in MODES:
        child = [c.PYTHON, "-m", "benchmarks._iter_child", mode, str(total)]
        out = c.run_python(["-c", TRAMPOLINE, *child])
        data = json.loads(out.stdout.strip().splitlines()[-1])
        if data["records"] != total:
            raise RuntimeError(f"{mode}: {data['records']} records, expected {total}")
        data["growth_mb"] = (data["peak_kib"] - data["baseline_kib"]) / 1024
        data["records_per_s"] = total / data["seconds"] if data["seconds"] else 0.0
        modes[mode] = data
    growth = modes["iter"]["growth_mb"]
    return {
        "integration": "planhat",
        "records": total,
        "modes": modes,
        "iter_growth_mb": growth,
        "ratio_iter_vs_keep": c.ratio(growth, modes["keep"]["growth_mb"]),
        "goals": [
            c.goal("iter growth after two pages (MB)", growth, f"<= {GOAL_MB}", growth <= GOAL_MB)
        ],
    }


def rows(result: dict[str, Any]) -> list[c.Row]:
    modes = result["modes"]
    keep = modes["keep"]["growth_mb"]
    return [
        c.Row(
            f"iter {result['records']:,} records: peak growth after 2 pages",
            c.fmt(modes["iter"]["growth_mb"], " MB", 2),
            c.fmt(keep, " MB (kept)"),
            c.fmt(result["ratio_iter_vs_keep"], "x", 3),
            f"<= {GOAL_MB:.0f} MB",
            modes["iter"]["growth_mb"] <= GOAL_MB,
        ),
        c.Row("iter throughput", c.fmt(modes["iter"]["records_per_s"], " records/s", 0)),
    ]
