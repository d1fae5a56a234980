"""3. Read mapping throughput: provider records -> the integration's unified `Project`.

Records are each emulator's seed records (as its GET returns them, envelope removed) with the
id varied per record, serialised to JSON bytes. Per chunk of records, one timer covers
`json.loads` of every record (the baseline) and another `to_record(conn, raw, CallOptions())`
on the parsed dicts (the mapping, with `remote_data`, validated into the pydantic model). One
thread, so records/s is per core. Chunks keep memory bounded.
"""

from __future__ import annotations

import gc
import json
import time
from typing import Any

from benchmarks import _common as c

NAME = "read_mapping"
TITLE = "3. read mapping throughput"
GOAL_RPS = 100_000
CHUNK = 10_000


def seed_records(integration: str) -> tuple[str, list[dict[str, Any]]]:
    """The emulator's seed records as its GET answers them, and the record's id key."""
    from unifold import Unifold
    from unifold._engine.connector import load_connector
    from unifold._engine.flows import unwrap
    from unifold.sandbox import SEED_PROJECT_IDS

    conn = load_connector(integration)
    envelope = conn.resource.operations["get"].response.envelope
    id_key = str(conn.resource.record["id"].path)
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


def measure(integration: str, total: int) -> dict[str, Any]:
    from unifold._engine.connector import load_connector
    from unifold._engine.flows import CallOptions, to_record

    conn = load_connector(integration)
    id_key, seeds = seed_records(integration)
    options = CallOptions()
    json_s = map_s = 0.0
    size = 0
    done = 0
    model = conn.model("Project")
    while done < total:
        chunk = make_chunk(id_key, seeds, done, min(CHUNK, total - done))
        size += sum(len(b) for b in chunk)
        gc.collect()
        t0 = time.perf_counter()
        parsed = [json.loads(b) for b in chunk]
        t1 = time.perf_counter()
        records = [to_record(conn, raw, options) for raw in parsed]
        t2 = time.perf_counter()
        json_s += t1 - t0
        map_s += t2 - t1
        if not isinstance(records[-1], model) or records[-1].id != str(parsed[-1][id_key]):
            raise RuntimeError(f"{integration}: unexpected mapping result {records[-1]!r}")
        done += len(chunk)
        del parsed, records
    sample = [json.loads(b) for b in make_chunk(id_key, seeds, 0, min(2000, total))]
    c.profile_loop(
        f"{NAME} {integration} to_record x{len(sample)}",
        lambda: [to_record(conn, raw, options) for raw in sample],
        1,
    )
    return {
        "records": done,
        "mean_record_bytes": size / done,
        "map_records_per_s": done / map_s,
        "json_records_per_s": done / json_s,
        "json_plus_map_records_per_s": done / (json_s + map_s),
        "map_us_per_record": map_s / done * 1e6,
        "cost_ratio_vs_json": c.ratio(map_s, json_s),
    }


def run(quick: bool = False) -> dict[str, Any]:
    total = 300 if quick else 100_000
    per = {name: measure(name, total) for name in c.INTEGRATIONS}
    goals = [
        c.goal(
            f"{name} records/s",
            r["map_records_per_s"],
            f">= {GOAL_RPS:,}",
            r["map_records_per_s"] >= GOAL_RPS,
        )
        for name, r in per.items()
    ]
    return {"records_per_integration": total, "integrations": per, "goals": goals}


def rows(result: dict[str, Any]) -> list[c.Row]:
    out = []
    for name, r in result["integrations"].items():
        out.append(
            c.Row(
                f"{name} records/s (N={r['records']:,}, {r['mean_record_bytes']:.0f} B)",
                c.fmt(r["map_records_per_s"], "", 0),
                c.fmt(r["json_records_per_s"], " json", 0),
                c.fmt(r["cost_ratio_vs_json"], "x", 2),
                f">= {GOAL_RPS:,}",
                r["map_records_per_s"] >= GOAL_RPS,
            )
        )
    return out
