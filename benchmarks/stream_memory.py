"""5. Stream memory: peak RSS of a client streaming a ~200 MB provider response with
`response_format="stream"`, versus reading the same response whole.

A server process (`benchmarks._big_server`) runs Capsule's emulator under uvicorn on loopback,
holding a project whose description is SIZE bytes (inserted with `put_project`). Each
measurement is a fresh child process (`benchmarks._rss_child`) that makes a warm-up update on
a small project, notes its peak RSS (`ru_maxrss`, the process baseline), updates the big
project once and notes the peak again. Modes: unifold `stream` (chunks counted, not kept),
unifold `raw` (read whole and parsed) and a plain httpx `read` (read whole, not parsed).
Each child is started through a tiny trampoline process (see TRAMPOLINE) and also reports
`VmHWM` from /proc/self/status as a cross-check.
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks import _common as c

NAME = "stream_memory"
TITLE = "5. stream memory"
GOAL_MB = 50.0
MODES = ("stream", "raw", "read")
MIB = 1024 * 1024
# Linux starts a new process's ru_maxrss at the RSS of the process it was forked from (the old
# address space's high-water mark is kept across exec), so a child of this (large) process
# would report this process's RSS as its baseline. A tiny interpreter in between starts the
# measured child instead.
TRAMPOLINE = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def run(quick: bool = False) -> dict[str, Any]:
    # Quick: big enough to rise above the peak the imports left (so every figure is a number).
    size = 64 * MIB if quick else 200 * MIB
    port = c.free_port()
    argv = [c.PYTHON, "-m", "benchmarks._big_server", str(port), str(size)]
    children: dict[str, Any] = {}
    with c.LoopbackServer(argv, port) as server:
        base_url = server.origin + c.base_path("capsule")
        for mode in MODES:
            child = [c.PYTHON, "-m", "benchmarks._rss_child", mode, base_url]
            out = c.run_python(["-c", TRAMPOLINE, *child])
            data = json.loads(out.stdout.strip().splitlines()[-1])
            data["delta_mb"] = (data["peak_kib"] - data["baseline_kib"]) / 1024
            if data.get("vmhwm_peak_kib") is not None:
                hwm = data["vmhwm_peak_kib"] - data["vmhwm_baseline_kib"]
                data["vmhwm_delta_mb"] = hwm / 1024
            data["baseline_mb"] = data["baseline_kib"] / 1024
            data["peak_mb"] = data["peak_kib"] / 1024
            data["mb_per_s"] = data["bytes"] / MIB / data["seconds"] if data["seconds"] else 0.0
            children[mode] = data
    stream = children["stream"]["delta_mb"]
    if children["stream"]["bytes"] < size:
        raise RuntimeError(f"streamed {children['stream']['bytes']} bytes, expected >= {size}")
    return {
        "integration": "capsule",
        "description_bytes": size,
        "modes": children,
        "stream_delta_mb": stream,
        "ratio_stream_vs_read": c.ratio(stream, children["read"]["delta_mb"]),
        "goals": [
            c.goal("stream peak above baseline (MB)", stream, f"<= {GOAL_MB}", stream <= GOAL_MB)
        ],
    }


def rows(result: dict[str, Any]) -> list[c.Row]:
    modes = result["modes"]
    read = modes["read"]["delta_mb"]
    out = [
        c.Row(
            f"stream {result['description_bytes'] / MIB:.0f} MiB: peak above baseline",
            c.fmt(modes["stream"]["delta_mb"], " MB", 2),
            c.fmt(read, " MB (read)"),
            c.fmt(result["ratio_stream_vs_read"], "x", 3),
            f"<= {GOAL_MB:.0f} MB",
            modes["stream"]["delta_mb"] <= GOAL_MB,
        ),
        c.Row(
            "unifold raw (whole + parsed): peak above baseline",
            c.fmt(modes["raw"]["delta_mb"], " MB"),
            c.fmt(read, " MB (read)"),
            c.fmt(c.ratio(modes["raw"]["delta_mb"], read), "x", 2),
        ),
        c.Row(
            "process baseline (stream / raw / read)",
            " / ".join(c.fmt(modes[m]["baseline_mb"], "", 0) for m in MODES) + " MB",
        ),
    ]
    return out
