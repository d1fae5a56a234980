"""`unifold tokens ...` and `unifold serve --workers 2`, as separate processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests._net import free_port
from unifold.cli import main
from unifold.sandbox import SEED_PROJECT_IDS

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def unifold(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """The `unifold` command, run in this process (only `serve` needs a process of its own)."""

    def run(*args: str) -> Run:
        code = main(list(args))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "unifold"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "serve" in result.stdout and "tokens" in result.stdout


def test_tokens_and_two_workers(tmp_path: Path, unifold: Callable[..., Run]) -> None:
    store = str(tmp_path / "store.sqlite3")
    created = unifold("tokens", "create", "--tenant", "acme", "--name", "ci", "--store", store)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("uft_") and " " not in token
    assert token not in Path(store).read_bytes().decode("latin-1")  # only its hash is stored
    listed = unifold("tokens", "list", "--store", store)
    assert token not in listed.stdout
    (token_id, tenant, name, _, state) = listed.stdout.strip().split("\t")
    assert (tenant, name, state) == ("acme", "ci", "active")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "unifold",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--store",
            store,
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/integrated-account").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.2)
            account = client.post(
                "/integrated-account", json={"integration": "teamleader", "environment": "sandbox"}
            ).json()["id"]
            pid = SEED_PROJECT_IDS["teamleader"][0]
            for _ in range(6):  # new connections, spread over both workers: all see the account
                with httpx.Client(base_url=url, headers=headers, timeout=30) as fresh:
                    response = fresh.patch(
                        f"/unified/crm/projects/{pid}?integrated_account_id={account}"
                        "&truto_exclude_fields[]=name",
                        content=b'{"name":"x"}',  # curl -d's form content type, as in the README
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                    )
                    assert response.status_code == 200, response.text
                    assert "name" not in response.json() and response.json()["id"] == pid
            revoked = unifold("tokens", "revoke", token_id, "--store", store)
            assert revoked.returncode == 0, revoked.stderr
            for _ in range(4):  # at once, in every worker
                with httpx.Client(base_url=url, headers=headers, timeout=30) as fresh:
                    assert fresh.get("/integrated-account").status_code == 401
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        assert server.stdout is not None
        output = server.stdout.read().decode()
        server.stdout.close()
    assert "Traceback" not in output, output
    assert unifold("tokens", "revoke", token_id, "--store", store).returncode == 1


def test_serve_refuses_a_memory_store(unifold: Callable[..., Run]) -> None:
    result = unifold("serve", "--store", ":memory:")
    assert result.returncode == 2 and ":memory:" in result.stderr
