"""3. Read mapping: provider records -> the integration's unified `Project`, per record, against
`json.loads` of the same record.

Records are each emulator's seed records (as its GET returns them, envelope removed) with the
id varied per record, serialised to JSON bytes. One thread, so figures are per core.

CPU figures (the goal) are timed with the garbage collector paused, as `timeit` does, each
timer over a whole chunk of records:
    json        `json.loads` of every record (the baseline);
    mapping     the generated `read_project` alone (provider record -> unified dict);
    typed floor `Project.model_validate` of those already-mapped dicts: what building the typed
                pydantic result costs by itself, with no mapping at all;
    to_record   the whole read (`to_record(conn, raw, CallOptions())`: mapping, validation into
                `Project`, `remote_data` attached), which is what `list`/`get` run per record.
The goal compares to_record with json.

With the collector on (information): pages of 100 records, as a list call gets them, parsed
then mapped in turn and all kept for the chunk, each side timed per page; `gc.callbacks` split
out the time the collector spent in each side. CPython 3.11's full (generation 2) collections
traverse every live object, the parsed JSON included, and fall on whichever side happens to
cross the threshold, so the collector-on ratio measures the heap more than the mapping.
"""

from __future__ import annotations

import gc
import json
import time
from typing import Any

from benchmarks import _common as c

NAME = "read_mapping"
TITLE = "3. read mapping throughput"
GOAL_RATIO = 1.0  # issue 8: mapping a record costs no more than parsing it
CHUNK = 10_000
PAGE = 100  # records per page in the collector-on figure: a list call's page


def seed_records(integration: str) -> tuple[str, list[dict[str, Any]]]:
    """The emulator's seed records as its GET answers them, and the record's id key."""
    from unifold import Unifold
    from unifold._engine.connector import load_connector
    from unifold._engine.flows import unwrap
    from unifold.sandbox import SEED_PROJECT_IDS

    conn = load_connector(integration)
    envelope = conn.resource.operations["get"].response.envelope
    id_key = conn.resource.record["id"].path
    if id_key is None or "." in id_key:  # the benchmark varies a top-level id key per record
        raise RuntimeError(f"{integration}: read_mapping needs the record id at a top-level key")
    records = []
    with Unifold(store=":memory:") as uf:
        acct = uf.accounts.create(integration, environment="sandbox")
        for pid in SEED_PROJECT_IDS[integration]:
            body = uf.crm.projects.get(pid, integrated_account_id=acct.id, response_format="raw")
            records.append(unwrap(body, envelope))
    return id_key, records


def _vary(value: Any, n: int) -> Any:
    """An id like `value`, numbered `n` (ints count up; hex-ish strings get a new tail)."""
    if isinstance(value, int):
        return 1_000_000 + n
    text = str(value)
    tail = min(12, len(text))
    return text[: len(text) - tail] + f"{n:0{tail}x}"[-tail:]


def make_chunk(id_key: str, seeds: list[dict[str, Any]], start: int, count: int) -> list[bytes]:
    out = []
    for n in range(start, start + count):
        record = dict(seeds[n % len(seeds)])
        record[id_key] = _vary(record[id_key], n)
        out.append(json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode())
    return out


class _GcClock:
    """Time the collector spends while `side` is set (via `gc.callbacks`)."""

    def __init__(self) -> None:
        self.side: str | None = None
        self.spent: dict[str, float] = {}
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        elif self.side is not None:
            spent = time.perf_counter() - self._start
            self.spent[self.side] = self.spent.get(self.side, 0.0) + spent


def _timed(func: Any, items: list[Any]) -> tuple[float, list[Any]]:
    t0 = time.perf_counter()
    out = [func(item) for item in items]
    return time.perf_counter() - t0, out


def measure(integration: str, total: int) -> dict[str, Any]:
    from unifold._engine.connector import load_connector
    from unifold._engine.flows import CallOptions, to_record

    conn = load_connector(integration)
    id_key, seeds = seed_records(integration)
    options = CallOptions()
    model = conn.model("Project")
    cpu = dict.fromkeys(("json", "mapping", "typed_floor", "to_record"), 0.0)
    gc_on = dict.fromkeys(("json", "to_record"), 0.0)
    clock = _GcClock()
    size = done = 0
    gc.callbacks.append(clock)
    try:
        while done < total:
            chunk = make_chunk(id_key, seeds, done, min(CHUNK, total - done))
            size += sum(len(b) for b in chunk)
            # Collector paused: CPU per step.
            gc.collect()
            gc.disable()
            try:
                spent, parsed = _timed(json.loads, chunk)
                cpu["json"] += spent
                spent, mapped = _timed(conn.read, parsed)
                cpu["mapping"] += spent
                cpu["typed_floor"] += _timed(model.model_validate, mapped)[0]
                spent, records = _timed(lambda raw: to_record(conn, raw, options), parsed)
                cpu["to_record"] += spent
            finally:
                gc.enable()
            if not isinstance(records[-1], model) or records[-1].id != str(parsed[-1][id_key]):
                raise RuntimeError(f"{integration}: unexpected mapping result {records[-1]!r}")
            del parsed, mapped, records
            # Collector on: page by page, everything kept.
            gc.collect()
            kept = []
            for start in range(0, len(chunk), PAGE):
                clock.side = "json"
                spent, page = _timed(json.loads, chunk[start : start + PAGE])
                gc_on["json"] += spent
                clock.side = "to_record"
                spent, page = _timed(lambda raw: to_record(conn, raw, options), page)
                gc_on["to_record"] += spent
                clock.side = None
                kept.append(page)
            del kept
            done += len(chunk)
    finally:
        gc.callbacks.remove(clock)
    sample = [json.loads(b) for b in make_chunk(id_key, seeds, 0, min(2000, total))]
    c.profile_loop(
        f"{NAME} {integration} to_record x{len(sample)}",
        lambda: [to_record(conn, raw, options) for raw in sample],
        1,
    )
    us = {name: spent / done * 1e6 for name, spent in cpu.items()}
    return {
        "records": done,
        "mean_record_bytes": size / done,
        "us_per_record": us,
        "mapping_ratio_vs_json": c.ratio(cpu["mapping"], cpu["json"]),
        "typed_floor_ratio_vs_json": c.ratio(cpu["typed_floor"], cpu["json"]),
        "cost_ratio_vs_json": c.ratio(cpu["to_record"], cpu["json"]),
        "map_records_per_s": done / cpu["to_record"],
        "json_records_per_s": done / cpu["json"],
        "gc_on": {
            "json_us_per_record": gc_on["json"] / done * 1e6,
            "to_record_us_per_record": gc_on["to_record"] / done * 1e6,
            "cost_ratio_vs_json": c.ratio(gc_on["to_record"], gc_on["json"]),
            "collector_s": dict(clock.spent),
        },
    }


def run(quick: bool = False) -> dict[str, Any]:
    total = 300 if quick else 100_000
    per = {name: measure(name, total) for name in c.INTEGRATIONS}
    goals = [
        c.goal(
            f"{name} to_record / json.loads",
            r["cost_ratio_vs_json"],
            f"<= {GOAL_RATIO}",
            r["cost_ratio_vs_json"] <= GOAL_RATIO,
        )
        for name, r in per.items()
    ]
    return {"records_per_integration": total, "integrations": per, "goals": goals}


def rows(result: dict[str, Any]) -> list[c.Row]:
    out = []
    for name, r in result["integrations"].items():
        us, on = r["us_per_record"], r["gc_on"]
        out.append(
            c.Row(
                f"{name} µs/record, GC paused (N={r['records']:,}, {r['mean_record_bytes']:.0f} B)",
                c.fmt(us["to_record"], " µs", 2),
                c.fmt(us["json"], " µs json", 2),
                c.fmt(r["cost_ratio_vs_json"], "x", 2),
                f"<= {GOAL_RATIO}x",
                r["cost_ratio_vs_json"] <= GOAL_RATIO,
            )
        )
        out.append(
            c.Row(
                "  of it: mapping alone / typed floor",
                f"{us['mapping']:.2f} / {us['typed_floor']:.2f} µs",
                c.fmt(us["json"], " µs json", 2),
                f"{r['mapping_ratio_vs_json']:.2f}x / {r['typed_floor_ratio_vs_json']:.2f}x",
            )
        )
        collector = on["collector_s"]
        out.append(
            c.Row(
                "  GC on, pages of 100 kept (collector s: map / json)",
                f"{on['to_record_us_per_record']:.2f} µs ({collector.get('to_record', 0.0):.2f} s)",
                f"{on['json_us_per_record']:.2f} µs ({collector.get('json', 0.0):.2f} s)",
                c.fmt(on["cost_ratio_vs_json"], "x", 2),
            )
        )
    return out
