"""Pacing across processes (issue 8): each take of a slot holds SQLite's write lock, so
processes racing for the last slots of one budget never take more than it allows."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

_TAKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from unifold._ratelimit import Budget, Pacer
    path, go, n = sys.argv[1:4]
    pacer = Pacer(path)
    gate = pacer.gate("planhat:shared", "shared", (Budget(60, 600.0),))
    Path(go + ".ready" + n).touch()
    while not Path(go).exists():
        time.sleep(0.001)
    print(sum(gate._bucket.try_take("planhat:shared") == 0 for _ in range(120)))
    pacer.close()
    """
)


def test_processes_racing_for_one_budget_take_exactly_its_slots(tmp_path: Path) -> None:
    path, go = tmp_path / "a.sqlite3.ratelimit", tmp_path / "go"
    takers = [
        subprocess.Popen(
            [sys.executable, "-c", _TAKER, str(path), str(go), str(n)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    deadline = time.monotonic() + 60
    while not all(Path(f"{go}.ready{n}").exists() for n in range(4)):
        assert time.monotonic() < deadline, "the takers did not start"
        time.sleep(0.01)
    go.touch()
    taken = [int(taker.communicate(timeout=60)[0]) for taker in takers]
    assert sum(taken) == 60, taken  # 480 tries, 60 slots
