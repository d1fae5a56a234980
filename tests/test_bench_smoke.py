"""Smoke test of the benchmark suite: every benchmark runs once with `--quick` and produces its
figures as finite numbers. No timing is asserted; error counts must be 0."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from unifold.generated.crm.registry import INTEGRATIONS as REGISTRY

ROOT = Path(__file__).resolve().parent.parent

# Figures every benchmark must produce ("*" = every key at that level).
REQUIRED = {
    "update_overhead": [
        "integrations.*.unified.median",
        "integrations.*.unified.p95",
        "integrations.*.raw.median",
        "integrations.*.raw.p95",
        "integrations.*.ratio_median",
        "integrations.*.ratio_same_calls_median",
        "integrations.*.ratio_per_provider_call_median",
        "errors",
    ],
    "mapping_cost": [
        "integrations.*.total_us.median",
        "integrations.*.request_side_us.median",
        "integrations.*.response_side_us.median",
        "integrations.*.baseline_json_us.median",
        "integrations.*.ratio_median",
    ],
    "read_mapping": [
        "integrations.*.records",
        "integrations.*.map_records_per_s",
        "integrations.*.json_records_per_s",
        "integrations.*.cost_ratio_vs_json",
        "integrations.*.mapping_ratio_vs_json",
        "integrations.*.typed_floor_ratio_vs_json",
        "integrations.*.us_per_record.mapping",
        "integrations.*.gc_on.cost_ratio_vs_json",
    ],
    "async_concurrency": [
        "unified.updates_per_s",
        "raw.updates_per_s",
        "throughput_ratio",
        "best_round_throughput_ratio",
        "client_cpu_ratio",
        "errors",
    ],
    "async_burst": [
        "bursts.*.unified.calls_per_s",
        "bursts.*.bare.calls_per_s",
        "bursts.*.throughput_ratio",
        "bursts.*.serves_after_s",
        "errors",
    ],
    "stream_memory": [
        "modes.*.delta_mb",
        "modes.*.baseline_mb",
        "stream_delta_mb",
        "ratio_stream_vs_read",
    ],
    "generation": [
        "real_five_s",
        "startup_baseline_s",
        "real_five_cpu_s",
        "synthetic.*.wall_s",
        "synthetic.*.cpu_s",
        # Slopes only: with --quick's tiny sizes, a step ratio can divide by a zero CPU step.
        "growth_cpu.slope_s_per_integration",
        "growth_wall.slope_s_per_integration",
    ],
    "iter_memory": [
        "modes.*.growth_mb",
        "modes.*.records_per_s",
        "iter_growth_mb",
        "ratio_iter_vs_keep",
    ],
    "server_overhead": [
        "overhead.library.median",
        "overhead.server.median",
        "overhead.ratio_median",
        "throughput.*.updates_per_s",
        "errors",
    ],
    "import_time": [
        "import_unifold_ms",
        "import_client_ms",
        "dependencies_ms",
        "httpx_cli_ms",
        "no_bytecode_cache.*.median_ms",
        "first_use_ms.*.total_s",
        "first_use_ms.*.first_vs_warm_update",
    ],
}
INTEGRATIONS = set(REGISTRY)


def _values(data: Any, path: str) -> list[Any]:
    """Every value at a dotted path ("*" expands a level); a missing key fails the test."""
    found = [data]
    for part in path.split("."):
        step = []
        for item in found:
            assert isinstance(item, dict), f"{path}: {part!r} under a non-object"
            if part == "*":
                assert item, f"{path}: empty object"
                step.extend(item.values())
            else:
                assert part in item, f"{path}: no {part!r} (has {sorted(item)})"
                step.append(item[part])
        found = step
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.syspath_prepend(str(ROOT))
    try:
        from benchmarks.__main__ import main

        out = tmp_path_factory.mktemp("bench") / "results.json"
        status = main(["--quick", "--out", str(out)])
    finally:
        monkeypatch.undo()
    document = json.loads(out.read_text(encoding="utf-8"))
    assert status == 0, {k: v.get("error") for k, v in document["results"].items()}
    return document


def test_meta(results: dict[str, Any]) -> None:
    meta = results["meta"]
    assert meta["quick"] is True
    assert meta["python"].startswith("3.")
    assert isinstance(meta["cpu_count"], int) and meta["cpu_count"] >= 1
    assert meta["timestamp"]


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_benchmark_figures(results: dict[str, Any], name: str) -> None:
    result = results["results"][name]
    assert "error" not in result, result.get("error")
    for path in REQUIRED[name]:
        for value in _values(result, path):
            assert _is_number(value), f"{name}.{path} = {value!r} is not a finite number"
    for goal in result["goals"]:
        assert _is_number(goal["value"]), goal
        assert isinstance(goal["met"], bool), goal


@pytest.mark.parametrize("name", ["update_overhead", "mapping_cost", "read_mapping"])
def test_every_integration_measured(results: dict[str, Any], name: str) -> None:
    assert set(results["results"][name]["integrations"]) == INTEGRATIONS


@pytest.mark.parametrize("name", ["update_overhead", "async_concurrency", "async_burst"])
def test_no_errors(results: dict[str, Any], name: str) -> None:
    assert results["results"][name]["errors"] == 0
