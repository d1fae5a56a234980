"""The SQLite store file: encrypted at rest, migrated from version 0, private, and typed errors
for every way the file can be wrong."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from unifold import Unifold
from unifold._accounts import open_store
from unifold._errors import InvalidParameterError, StoreError, StoreKeyError

CANARY = "canary-7f3a9c1e-secret-token"


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch: Any) -> None:
    for name in ("UNIFOLD_STORE_KEY", "UNIFOLD_STORE_KEY_FILE", "UNIFOLD_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _bytes_of_store(folder: Path) -> bytes:
    """Every byte of the store and its companions (WAL, shared memory, journal, key)."""
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def test_a_canary_token_appears_nowhere_in_the_store_files(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite3"
    with Unifold(store=path) as uf:
        account = uf.accounts.create("capsule", {"token": CANARY}, base_url="http://127.0.0.1:9/x")
        assert CANARY.encode() not in _bytes_of_store(tmp_path)  # WAL not yet checkpointed
        assert uf.accounts.get(account.id).credentials["token"] == CANARY
    data = _bytes_of_store(tmp_path)
    assert CANARY.encode() not in data and b"canary" not in data
    with Unifold(store=path) as again:
        assert again.accounts.get(account.id).credentials["token"] == CANARY


def test_the_key_file_is_created_private_beside_the_store(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite3"
    open_store(path).close()
    key = tmp_path / "accounts.sqlite3.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Fernet(key.read_text().strip().encode())  # a real key


def test_a_missing_key_file_is_an_error_not_an_empty_store(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite3"
    with Unifold(store=path) as uf:
        uf.accounts.create("capsule", {"token": CANARY}, base_url="http://127.0.0.1:9/x")
    key = (tmp_path / "accounts.sqlite3.key").read_text()
    (tmp_path / "accounts.sqlite3.key").unlink()
    with pytest.raises(StoreKeyError, match="key file .* is missing"):
        Unifold(store=path)
    assert not (tmp_path / "accounts.sqlite3.key").exists()  # not replaced by a new key
    (tmp_path / "accounts.sqlite3.key").write_text(key)
    (tmp_path / "accounts.sqlite3.key").chmod(0o600)
    with Unifold(store=path) as uf:
        assert len(uf.accounts.list()) == 1


def _v0_store(
    path: Path, credentials: str, integration: str = "capsule", params: str = "{}"
) -> None:
    """A store as unifold 0.1 wrote it: plaintext credentials, no schema version."""
    db = sqlite3.connect(path)
    db.execute(
        """CREATE TABLE integrated_accounts (id TEXT PRIMARY KEY, integration TEXT NOT NULL,
        environment TEXT NOT NULL, credentials TEXT NOT NULL, params TEXT NOT NULL,
        base_url TEXT, allow_remote_base_url INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL)"""
    )
    db.execute(
        "INSERT INTO integrated_accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            "a1",
            integration,
            "production",
            credentials,
            params,
            "http://127.0.0.1:9/x",
            0,
            "2026-01-01T00:00:00+00:00",
        ),
    )
    db.commit()
    db.close()
    path.chmod(0o600)  # as 0.1 created it


def test_a_version_0_store_is_migrated_and_encrypted_on_open(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite3"
    _v0_store(path, json.dumps({"token": CANARY}))
    assert CANARY.encode() in path.read_bytes()
    with Unifold(store=path) as uf:
        account = uf.accounts.get("a1")
        assert account.credentials["token"] == CANARY
        assert (account.status, account.tenant) == ("active", None)
    assert CANARY.encode() not in _bytes_of_store(tmp_path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM unifold_schema").fetchall() == [(1,)]


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite3"
    open_store(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE unifold_schema SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="schema version 99, written by a newer unifold"):
        open_store(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"this is not a database at all" * 100, "damaged or not a SQLite database"),
        (None, "damaged or not a SQLite database"),  # a real store, truncated
    ],
)
def test_a_damaged_file_is_a_typed_error_naming_it(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    """D12: no raw sqlite3 error, and the message names the file."""
    path = tmp_path / "accounts.sqlite3"
    if content is None:
        with Unifold(store=path) as uf:
            for _ in range(20):
                uf.accounts.create("capsule", {"token": "t" * 500}, base_url="http://127.0.0.1:9")
        data = path.read_bytes()
        for name in ("accounts.sqlite3-wal", "accounts.sqlite3-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        content = data[:4096] + b"\xff" * 100
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(StoreError, match=reason) as info:
        with Unifold(store=path) as uf:
            uf.accounts.list()
    assert str(path) in str(info.value)


def test_a_folder_or_a_foreign_table_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=str(tmp_path)):
        Unifold(store=tmp_path)
    path = tmp_path / "other.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE integrated_accounts (id TEXT, something TEXT)")
    db.execute("CREATE TABLE unifold_schema (version INTEGER)")
    db.execute("INSERT INTO unifold_schema VALUES (1)")
    db.execute("CREATE TABLE unifold_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.commit()
    db.close()
    path.chmod(0o600)
    with pytest.raises(StoreError, match="not a unifold account store"):
        Unifold(store=path)


def test_store_none_means_the_default_store_and_writes_no_file_named_none(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """D9."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("UNIFOLD_STORE", raising=False)
    with Unifold(store=None) as uf:
        uf.accounts.create("capsule", {"token": "tok"}, base_url="http://127.0.0.1:1/x")
    assert not (tmp_path / "None").exists()
    assert (tmp_path / "home" / ".unifold" / "accounts.sqlite3").exists()
    for bad in (123, "", b"x"):
        with pytest.raises(InvalidParameterError, match="store must be"):
            Unifold(store=bad)  # type: ignore[arg-type]
    assert sorted(os.listdir(tmp_path)) == ["home"]


def test_unifold_store_env_selects_the_file(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("UNIFOLD_STORE", str(tmp_path / "env.sqlite3"))
    with Unifold() as uf:
        uf.accounts.create("capsule", {"token": "tok"}, base_url="http://127.0.0.1:1/x")
    assert (tmp_path / "env.sqlite3").exists()


def test_permissions_the_operator_set_are_kept(tmp_path: Path, monkeypatch: Any) -> None:
    """D19: new folders are all 0700 whatever the umask; an existing file's mode is not
    changed; a store readable by others opens with a warning."""
    old = os.umask(0)
    try:
        nested = tmp_path / "a" / "b" / "accounts.sqlite3"
        open_store(nested).close()
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    nested.chmod(0o400)
    open_store(nested).close()
    assert stat.S_IMODE(nested.stat().st_mode) == 0o400
    nested.chmod(0o644)
    with pytest.warns(UserWarning, match="can be read by other users"):
        open_store(nested).close()
    assert stat.S_IMODE(nested.stat().st_mode) == 0o644


def test_a_version_0_pipeliner_region_becomes_its_service_url(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite3"
    params = json.dumps({"region": "eu-central", "space_id": "s1"})
    _v0_store(path, json.dumps({"username": "u", "password": "p"}), "pipeliner", params)
    with Unifold(store=path) as uf:
        assert uf.accounts.get("a1").params == {
            "service_url": "https://eu-central.api.pipelinersales.com",
            "space_id": "s1",
        }


def test_a_read_only_store_reads_and_refuses_writes_with_a_typed_error(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """D19: a store this user may not write (simulated with SQLite's query_only, as tests run as
    root, for whom file modes do not bind)."""
    from unifold._accounts.sqlite import SQLiteStore

    path = tmp_path / "accounts.sqlite3"
    with Unifold(store=path) as uf:
        account = uf.accounts.create("capsule", {"token": "t"}, base_url="http://127.0.0.1:9/x")
    connect = SQLiteStore._connect

    def read_only(self: SQLiteStore, timeout: float = 30.0) -> sqlite3.Connection:
        db = connect(self, timeout)
        db.execute("PRAGMA query_only = ON")
        return db

    monkeypatch.setattr(SQLiteStore, "_connect", read_only)
    with Unifold(store=path) as uf:
        assert uf.accounts.get(account.id) == account
        with pytest.raises(StoreError, match="read-only for this user") as info:
            uf.accounts.create("capsule", {"token": "t"}, base_url="http://127.0.0.1:9/x")
        assert str(path) in str(info.value)
        with pytest.raises(StoreError, match="read-only"):
            uf.accounts.delete(account.id)


def test_a_key_file_others_can_read_opens_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite3"
    open_store(path).close()
    (tmp_path / "accounts.sqlite3.key").chmod(0o644)
    with pytest.warns(UserWarning, match="key file .* can be read by other users"):
        open_store(path).close()


def test_no_home_directory_is_a_typed_error(monkeypatch: Any) -> None:
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(Path, "home", lambda: (_ for _ in ()).throw(RuntimeError("no home")))
    monkeypatch.setattr(
        Path, "expanduser", lambda self: (_ for _ in ()).throw(RuntimeError("no home"))
    )
    with pytest.raises(StoreError, match="pass store= a full path"):
        open_store("~/.unifold/accounts.sqlite3")
