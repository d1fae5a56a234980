"""A throwaway PostgreSQL server for the tests: one per test session, a fresh database per test.

`initdb` and `pg_ctl` come from PATH (CI has PostgreSQL 15 there) or the Debian layout
(/usr/lib/postgresql/*/bin). PostgreSQL refuses to run as root, so when the tests run as root
the server runs as the `postgres` user (`runuser -u postgres --`), in a temporary folder it owns.
It listens on a free loopback port and a socket in that folder, with durability off (fsync,
synchronous commit): a test server needs speed, not crash safety. Stopped and deleted at the end.

Use `postgres_url` (a fresh, empty schema for one test) or `postgres_server` (the server's
admin URL, session-wide).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._net import free_port

USER = "unifold"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = Path(tempfile.mkdtemp(prefix="unifold-pg-"))
    if as_root:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run([*run_as, *args], check=True, capture_output=True, timeout=120)

    try:
        run(initdb, "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync")
        settings = (
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        run(pg_ctl, "-D", str(data), "-o", settings, "-l", str(folder / "log"), "-w", "start")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = folder / "log"
        stderr = exc.stderr or b""
        details = stderr.decode(errors="replace") + (log.read_text() if log.exists() else "")
        _stop(run_as, pg_ctl, data, folder)  # pg_ctl may have started it before failing
        raise RuntimeError(f"the test PostgreSQL server did not start: {details}") from exc
    try:
        yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
    finally:
        _stop(run_as, pg_ctl, data, folder)


def _stop(run_as: list[str], pg_ctl: str, data: Path, folder: Path) -> None:
    if data.exists():
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty schema (its `search_path`), dropped after the test. A schema,
    not a database: it takes milliseconds to create where a database takes most of a second."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    try:
        yield f"{postgres_server}?options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
