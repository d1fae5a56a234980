"""Pacing across processes (issue 8): each take of a slot holds SQLite's write lock, so
processes racing for the last slots of one budget never take more than it allows."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests._net import stopped_on_exit

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
    with stopped_on_exit(*takers):
        try:
            deadline = time.monotonic() + 60
            while not all(Path(f"{go}.ready{n}").exists() for n in range(4)):
                assert time.monotonic() < deadline, "the takers did not start"
                time.sleep(0.01)
        finally:
            go.touch()  # a taker that started never waits forever
        taken = [int(taker.communicate(timeout=60)[0]) for taker in takers]
    assert sum(taken) == 60, taken  # 480 tries, 60 slots


def test_a_pacing_file_held_too_long_is_a_typed_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from unifold import StoreError, Unifold, _ratelimit
    from unifold.sandbox import SEED_PROJECT_IDS

    monkeypatch.setattr(_ratelimit, "BUSY_TIMEOUT_MS", 200)
    store = tmp_path / "accounts.sqlite3"
    pid = SEED_PROJECT_IDS["teamleader"][0]
    with Unifold(store=store) as uf:
        account = uf.accounts.create("teamleader", environment="sandbox")
        uf.rate_limits.set(account.id, [(100, 1)])  # a sandbox account is paced when asked
        uf.crm.projects.get(pid, integrated_account_id=account.id)  # its budget is open now
        blocker = sqlite3.connect(f"{store}.ratelimit")
        blocker.execute("BEGIN IMMEDIATE")  # another process taking its slot, and stuck
        try:
            with pytest.raises(StoreError) as info:
                uf.crm.projects.get(pid, integrated_account_id=account.id)
        finally:
            blocker.rollback()
            blocker.close()
        assert "request-pacing store" in str(info.value) and info.value.location
        assert uf.crm.projects.get(pid, integrated_account_id=account.id).id == pid  # usable
