"""6. Generation: wall time of `python -m codegen generate`, for the five real integrations and
for synthetic inputs of growing size.

Everything happens in a temporary folder: the real inputs are a copy of `openapi/` with a copy
of `unifold/hooks` as `--hooks-dir`; the synthetic ones are the real unified spec with FIELDS
extra string fields on Project / ProjectCreate / ProjectUpdate, plus one matrix per integration
mapping all of them with plain `path:` / `to:` entries (no hooks) and an empty hooks class each
(so no skeleton is rendered). Each run is a fresh `python -m codegen generate` process, so the
time includes the interpreter start, spec validation, rendering and ruff formatting. Baseline:
`python -c "import codegen.cli"` (the start-up and imports alone). Each run also reports the
CPU time of the generator and its ruff processes (RUSAGE_CHILDREN), which a busy machine
disturbs far less than wall time; synthetic sizes keep their fastest of three runs. Growth: a
least-squares line through the synthetic sizes, and "linear (or better)" when the CPU cost per
integration of the last step (50 -> 100) is at most LINEAR_TOLERANCE times that of the first
(10 -> 50): superlinear growth fails.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks import _common as c

NAME = "generation"
TITLE = "6. generation"
GOAL_REAL_S = 3.0
FIELDS = 40
# "Linear (or better)": the last step costs at most this many times the first, per integration.
LINEAR_TOLERANCE = 1.35


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _generate(spec_dir: Path, out_dir: Path, hooks_dir: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the generator and the ruff processes it ran)."""
    args = ["-m", "codegen", "generate", "--spec-dir", str(spec_dir), "--out", str(out_dir)]
    start, cpu = time.perf_counter(), _children_cpu()
    c.run_python([*args, "--hooks-dir", str(hooks_dir)])
    return time.perf_counter() - start, _children_cpu() - cpu


def _startup() -> float:
    start = time.perf_counter()
    c.run_python(["-c", "import codegen.cli"])
    return time.perf_counter() - start


def synthetic_inputs(root: Path, integrations: int, fields: int) -> tuple[Path, Path]:
    """Write a spec, `integrations` matrices and their hooks classes under `root`."""
    spec = yaml.safe_load((c.ROOT / "openapi" / "crm.yaml").read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    names = [f"field_{i:02d}" for i in range(1, fields + 1)]
    for schema in ("Project", "ProjectCreate", "ProjectUpdate"):
        for name in names:
            schemas[schema]["properties"][name] = {"type": "string", "description": name}
    spec_dir, hooks_dir = root / "openapi", root / "hooks"
    (spec_dir / "integrations").mkdir(parents=True)
    hooks_dir.mkdir()
    (spec_dir / "crm.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    for n in range(1, integrations + 1):
        name = f"synth{n:03d}"
        hooks_class = f"Synth{n:03d}Hooks"
        writes = {f: {"to": f"p_{f}"} for f in names}
        fields_out = ["id", *names]
        matrix = {
            "integration": name,
            "display_name": f"Synthetic {n}",
            "hooks_class": hooks_class,
            "provider": {
                "docs": f"https://docs.{name}.invalid",
                "base_url": f"https://api.{name}.invalid/v1",
                "auth": {
                    "scheme": "bearer",
                    "token": "token",
                    "credentials": {"token": {"description": "API token"}},
                },
                "id_pattern": "^[0-9]{1,12}$",
                "rate_limit": {"source": "synthetic"},
                "errors": {"message_paths": ["message"], "source": "synthetic"},
            },
            "resources": {
                "projects": {
                    "record": {"id": {"path": "id"}, **{f: {"path": f"p_{f}"} for f in names}},
                    "operations": {
                        "get": {
                            "request": {"method": "GET", "path": "/projects/{id}"},
                            "response": {"status": [200], "fields": fields_out},
                        },
                        "create": {
                            "request": {"method": "POST", "path": "/projects"},
                            "response": {"status": [201], "fields": fields_out},
                            "fields": writes,
                        },
                        "update": {
                            "request": {"method": "PATCH", "path": "/projects/{id}"},
                            "response": {"status": [200], "fields": fields_out},
                            "fields": writes,
                        },
                        "delete": {
                            "request": {"method": "DELETE", "path": "/projects/{id}"},
                            "response": {"status": [204], "fields": ["id"]},
                        },
                    },
                }
            },
        }
        path = spec_dir / "integrations" / f"{name}.yaml"
        path.write_text(yaml.safe_dump(matrix, sort_keys=False), encoding="utf-8")
        (hooks_dir / f"{name}.py").write_text(f"class {hooks_class}:\n    pass\n")
    return spec_dir, hooks_dir


def _fit(points: list[tuple[int, float]]) -> dict[str, float]:
    xs, ys = [float(x) for x, _ in points], [y for _, y in points]
    slope, intercept = statistics.linear_regression(xs, ys)
    mean = statistics.fmean(ys)
    ss_tot = sum((y - mean) ** 2 for y in ys)
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    return {
        "slope_s_per_integration": slope,
        "intercept_s": intercept,
        "r_squared": 1 - ss_res / ss_tot if ss_tot else 1.0,
    }


def _growth(points: list[tuple[int, float]]) -> dict[str, Any]:
    (n0, t0), (n1, t1), (n2, t2) = points[0], points[1], points[-1]
    first = (t1 - t0) / (n1 - n0)
    last = (t2 - t1) / (n2 - n1)
    growth = c.ratio(last, first)
    return {
        **_fit(points),
        "first_step_s_per_integration": first,
        "last_step_s_per_integration": last,
        "step_growth_ratio": growth,
        "linear": growth <= LINEAR_TOLERANCE,
    }


def run(quick: bool = False) -> dict[str, Any]:
    sizes, fields, repeats, synth_repeats = (
        ((1, 2, 4), 5, 1, 1) if quick else ((10, 50, 100), FIELDS, 3, 3)
    )
    startup = statistics.median(_startup() for _ in range(repeats))
    real_runs = []
    synthetic: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="unifold-bench-gen-") as tmp:
        root = Path(tmp)
        shutil.copytree(c.ROOT / "openapi", root / "real" / "openapi")
        shutil.copytree(
            c.ROOT / "unifold" / "hooks",
            root / "real" / "hooks",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        for i in range(repeats):
            real_runs.append(
                _generate(
                    root / "real" / "openapi", root / f"out-real-{i}", root / "real" / "hooks"
                )
            )
        for n in sizes:
            spec_dir, hooks_dir = synthetic_inputs(root / f"synth-{n}", n, fields)
            runs = [
                _generate(spec_dir, root / f"out-synth-{n}-{i}", hooks_dir)
                for i in range(synth_repeats)
            ]
            files = sum(1 for p in (root / f"out-synth-{n}-0").rglob("*.py"))
            if files < n:
                raise RuntimeError(f"generation of {n} integrations wrote only {files} modules")
            # The fastest run: the least disturbed by anything else on the machine.
            synthetic[str(n)] = {
                "wall_s": min(r[0] for r in runs),
                "cpu_s": min(r[1] for r in runs),
            }
    real = statistics.median(r[0] for r in real_runs)
    cpu_growth = _growth([(int(n), t["cpu_s"]) for n, t in synthetic.items()])
    wall_growth = _growth([(int(n), t["wall_s"]) for n, t in synthetic.items()])
    return {
        "startup_baseline_s": startup,
        "real_five_s": real,
        "real_five_cpu_s": statistics.median(r[1] for r in real_runs),
        "real_five_all_s": [r[0] for r in real_runs],
        "real_ratio_vs_startup": c.ratio(real, startup),
        "fields_per_synthetic_integration": fields,
        "synthetic": synthetic,
        "synthetic_s": {n: t["wall_s"] for n, t in synthetic.items()},
        "growth_cpu": cpu_growth,
        "growth_wall": wall_growth,
        "linear": cpu_growth["linear"],
        "goals": [
            c.goal("five real integrations (s)", real, f"< {GOAL_REAL_S}", real < GOAL_REAL_S)
        ],
    }


def rows(result: dict[str, Any]) -> list[c.Row]:
    cpu, wall = result["growth_cpu"], result["growth_wall"]
    out = [
        c.Row(
            "five real integrations (wall)",
            c.fmt(result["real_five_s"], " s", 2),
            c.fmt(result["startup_baseline_s"], " s start-up", 2),
            c.fmt(result["real_ratio_vs_startup"], "x", 2),
            f"< {GOAL_REAL_S:.0f} s",
            result["real_five_s"] < GOAL_REAL_S,
        )
    ]
    for n, t in result["synthetic"].items():
        out.append(
            c.Row(
                f"synthetic {n} x {result['fields_per_synthetic_integration']} fields (wall / CPU)",
                c.fmt(t["wall_s"], " s", 2) + " / " + c.fmt(t["cpu_s"], " s", 2),
                c.fmt(result["startup_baseline_s"], " s start-up", 2),
                c.fmt(c.ratio(t["wall_s"], result["startup_baseline_s"]), "x", 1),
            )
        )
    out.append(
        c.Row(
            "growth per integration, CPU (slope, R²)",
            c.fmt(cpu["slope_s_per_integration"] * 1000, " ms", 1),
            f"R² {cpu['r_squared']:.4f}",
            f"{cpu['step_growth_ratio']:.2f} (last/first step)",
            "at most linear",
            cpu["linear"],
        )
    )
    out.append(
        c.Row(
            "growth per integration, wall (slope, R²)",
            c.fmt(wall["slope_s_per_integration"] * 1000, " ms", 1),
            f"R² {wall['r_squared']:.4f}",
            f"{wall['step_growth_ratio']:.2f} (last/first step)",
        )
    )
    return out
