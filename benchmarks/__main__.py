"""`python -m benchmarks [--quick] [--only NAME ...] [--out FILE] [--markdown] [--profile]`.

Runs the benchmarks in order, prints one table (value, baseline, ratio, goal) and writes every
figure to a JSON file (`bench-results.json` at the repository root by default). A benchmark
that fails is reported (and the exit status is 1); missed goals are reported, not failures.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import BENCHMARKS
from benchmarks import _common as c


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the smoke test)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only these (repeat or comma-separate): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=c.ROOT / "bench-results.json",
        help="JSON results file (default: bench-results.json at the repository root)",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="also print the table as Markdown (for BENCHMARKS.md)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run each hot loop under pyinstrument and print the profiles to stderr",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
    args.names = [n for n in BENCHMARKS if n in names] if names else list(BENCHMARKS)
    return args


def meta(quick: bool) -> dict[str, Any]:
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": c.cpu_model(),
        "quick": quick,
    }


def run_one(name: str, quick: bool) -> tuple[Any, dict[str, Any]]:
    module = importlib.import_module(f"benchmarks.{name}")
    start = time.perf_counter()
    try:
        result = module.run(quick=quick)
    except Exception as exc:  # reported in the table and the JSON; the run goes on
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
    result["elapsed_s"] = time.perf_counter() - start
    return module, result


COLUMNS = ("benchmark", "figure", "unifold", "baseline", "ratio", "goal")


def table_rows(modules: dict[str, Any], results: dict[str, Any]) -> list[list[Any]]:
    """[benchmark, figure, value, baseline, ratio, goal, met] per line; None starts a section."""
    out: list[Any] = []
    for name, module in modules.items():
        result = results[name]
        label = f"{module.TITLE} ({result['elapsed_s']:.0f} s)"
        if "error" in result:
            out.append([label, "FAILED", result["error"], "", "", "", False])
        else:
            for i, row in enumerate(module.rows(result)):
                out.append(
                    [
                        label if i == 0 else "",
                        row.figure,
                        row.value,
                        row.baseline,
                        row.ratio,
                        row.goal,
                        row.met,
                    ]
                )
        out.append(None)
    return out


def title(info: dict[str, Any]) -> str:
    return (
        f"unifold benchmarks  {info['timestamp']}  Python {info['python']}  "
        f"{info['cpu_count']} CPU ({info['cpu_model']}){'  QUICK' if info['quick'] else ''}"
    )


def print_table(lines: list[Any], info: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title(info))
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for line in lines:
        if line is None:
            table.add_section()
            continue
        *cells, goal, met = line
        mark = {True: "[green]met[/green] ", False: "[red]MISSED[/red] ", None: ""}[met]
        table.add_row(*(escape(str(x)) for x in cells), f"{mark}{escape(goal)}".strip())
    # A pipe or file gets the full width (rich would otherwise fold everything to 80 columns).
    Console(width=None if sys.stdout.isatty() else 170).print(table)


def print_markdown(lines: list[Any], info: dict[str, Any]) -> None:
    print(f"\n{title(info)}\n")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for line in lines:
        if line is None:
            continue
        *cells, goal, met = line
        mark = {True: "met ", False: "**MISSED** ", None: ""}[met]
        cells.append(f"{mark}{goal}".strip())
        print("| " + " | ".join(str(x).replace("|", "\\|") for x in cells) + " |")


def clean(value: Any) -> Any:
    """NaN and infinities become null: the file stays strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    c.PROFILE = args.profile
    info = meta(args.quick)
    modules: dict[str, Any] = {}
    results: dict[str, Any] = {}
    for name in args.names:
        print(f"running {name}{' (quick)' if args.quick else ''} ...", file=sys.stderr, flush=True)
        modules[name], results[name] = run_one(name, args.quick)
    goals = [{"benchmark": name, **g} for name, r in results.items() for g in r.get("goals", [])]
    document = clean({"meta": info, "results": results, "goals": goals})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    lines = table_rows(modules, results)
    print_table(lines, info)
    if args.markdown:
        print_markdown(lines, info)
    met = sum(g["met"] for g in goals)
    print(f"goals met: {met}/{len(goals)}; results written to {args.out}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
