"""What the benchmarks share: statistics, loopback sandbox servers, subprocesses, table rows."""

from __future__ import annotations

import contextlib
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unifold.generated.crm.registry import INTEGRATIONS as REGISTRY

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
INTEGRATIONS = tuple(REGISTRY)  # the generated registry: every integration this build knows
# The space id sandbox accounts get by default (the matrix's example); any valid one works.
PIPELINER_SPACE = "nv3_PipelinerDev"
# Hard bounds on anything that waits: no loop here runs unbounded.
SERVER_START_TIMEOUT = 60.0
SUBPROCESS_TIMEOUT = 300.0

# Set by `--profile`: benchmarks then run their hot loop once more under pyinstrument.
PROFILE = False


def base_path(integration: str) -> str:
    """The provider's base path on a sandbox server (Pipeliner's includes the space id)."""
    from unifold.sandbox import create_provider

    return create_provider(integration).base_path.format(space_id=PIPELINER_SPACE)


# ---------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float], scale: float = 1.0) -> dict[str, float]:
    """Median, p95, mean and min of `values`, each multiplied by `scale` (e.g. 1e6 for µs)."""
    return {
        "median": statistics.median(values) * scale,
        "p95": percentile(values, 95) * scale,
        "mean": statistics.fmean(values) * scale,
        "min": min(values) * scale,
        "n": len(values),
    }


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else math.nan


# ---------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LoopbackServer:
    """A subprocess serving HTTP on 127.0.0.1:`port`; started on enter, stopped on exit.

    Output goes to a temporary log file (never a pipe that could fill up); it is shown in the
    error when the server does not come up in time."""

    def __init__(self, argv: list[str], port: int, start_timeout: float = SERVER_START_TIMEOUT):
        self.argv = argv
        self.port = port
        self.start_timeout = start_timeout
        self._log = tempfile.TemporaryFile(mode="w+b")
        self.proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def sandbox(cls, integration: str) -> LoopbackServer:
        """`python -m unifold.sandbox serve <integration>` on a free loopback port."""
        port = free_port()
        argv = [PYTHON, "-m", "unifold.sandbox", "serve", integration, "--port", str(port)]
        return cls(argv, port)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackServer:
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self._tail()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return self
            time.sleep(0.05)
        self.__exit__()
        raise RuntimeError(f"server not listening after {self.start_timeout}s: {self._tail()}")

    def _tail(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:]

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self._log.close()


def run_python(
    args: list[str], timeout: float = SUBPROCESS_TIMEOUT, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run `python ARGS` from the repo root; raise with its output when it fails."""
    result = subprocess.run(
        [PYTHON, *args],
        cwd=kwargs.pop("cwd", ROOT),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"python {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    return result


# ---------------------------------------------------------------------- profiling


@contextlib.contextmanager
def profiled(label: str) -> Iterator[None]:
    """Under `--profile`, profile the block with pyinstrument and print the text report."""
    if not PROFILE:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        print(f"\n===== profile: {label} =====", file=sys.stderr)
        print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)


def profile_loop(label: str, func: Callable[[], Any], count: int) -> None:
    """Run `func` `count` times under the profiler (only with `--profile`)."""
    if PROFILE:
        with profiled(label):
            for _ in range(count):
                func()


# ---------------------------------------------------------------------- reporting


@dataclass(frozen=True)
class Row:
    """One line of the terminal table."""

    figure: str
    value: str
    baseline: str = ""
    ratio: str = ""
    goal: str = ""
    met: bool | None = None


def goal(name: str, value: float, target: str, met: bool) -> dict[str, Any]:
    return {"goal": name, "value": value, "target": target, "met": bool(met)}


def fmt(value: float, unit: str = "", digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    import platform

    return platform.processor() or "unknown"


def env_without_pythonpath_noise() -> dict[str, str]:
    """The environment for child interpreters (no importtime or dev-mode flags inherited)."""
    env = dict(os.environ)
    for key in ("PYTHONPROFILEIMPORTTIME", "PYTHONDEVMODE", "PYTHONTRACEMALLOC"):
        env.pop(key, None)
    return env
