"""The account store, the same suite on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet

from tests._net import stopped_on_exit
from unifold import Unifold
from unifold._accounts import AccountStore, IntegratedAccount, new_account, open_store
from unifold._errors import (
    CorruptAccountError,
    CorruptAccountWarning,
    StoreError,
    StoreKeyError,
    UnknownAccountError,
)

Opener = Callable[..., AccountStore]


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: Any) -> str:
    monkeypatch.setenv("UNIFOLD_STORE_KEY", Fernet.generate_key().decode())
    if request.param == "sqlite":
        return str(tmp_path / "accounts.sqlite3")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def opener(location: str) -> Iterator[Opener]:
    opened: list[AccountStore] = []

    def open_(**kw: Any) -> AccountStore:
        store = open_store(location, **kw)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


def _account(integration: str = "capsule", token: str = "tok-1", **kw: Any) -> IntegratedAccount:
    return new_account(
        integration, "production", {"token": token}, None, "http://127.0.0.1:9/api", False, **kw
    )


def test_round_trip_and_schema_version(opener: Opener) -> None:
    store = opener()
    account = _account()
    store.add(account)
    assert store.get(account.id) == account
    assert store.list() == [account]
    assert store._read("x", "SELECT version FROM unifold_schema") == [(1,)]
    assert store.delete(account.id) is True
    assert store.get(account.id) is None
    assert store.delete(account.id) is False
    assert store.get(123) is None  # type: ignore[arg-type]


def test_tenants_see_only_their_accounts(opener: Opener) -> None:
    store = opener()
    mine, theirs, untenanted = _account(tenant="acme"), _account(tenant="globex"), _account()
    for account in (mine, theirs, untenanted):
        store.add(account)
    assert store.get(mine.id, "acme") == mine
    assert store.get(theirs.id, "acme") is None
    assert store.get(untenanted.id, "acme") is None
    assert store.list("acme") == [mine]
    assert {a.id for a in store.list()} == {mine.id, theirs.id, untenanted.id}
    assert store.delete(theirs.id, "acme") is False
    assert store.get(theirs.id) == theirs
    changed = dataclasses.replace(theirs, params={})
    assert store.update(changed, "acme") is False
    assert store.get(theirs.id) == theirs


def test_update_keeps_id_and_creation(opener: Opener) -> None:
    store = opener()
    account = _account()
    store.add(account)
    new = dataclasses.replace(
        account,
        credentials=type(account.credentials)({"token": "tok-2"}),
        status="needs_reauth",
        auth_failure_reason="invalid_grant",
    )
    assert store.update(new) is True
    got = store.get(account.id)
    assert got is not None
    assert got.credentials["token"] == "tok-2"
    assert (got.status, got.auth_failure_reason) == ("needs_reauth", "invalid_grant")
    assert (got.id, got.created_at) == (account.id, account.created_at)
    assert store.update(dataclasses.replace(account, id="nope")) is False


def test_changes_are_seen_by_every_store_on_the_same_location(opener: Opener) -> None:
    """D5: no stale cache between clients or processes sharing a store."""
    a, b = opener(), opener()
    account = _account()
    a.add(account)
    assert b.get(account.id) == account
    a.update(dataclasses.replace(account, credentials=type(account.credentials)({"token": "t2"})))
    got = b.get(account.id)
    assert got is not None and got.credentials["token"] == "t2"
    a.delete(account.id)
    assert b.get(account.id) is None


def test_a_deleted_account_cannot_be_used_by_another_client(location: str) -> None:
    """D5, through the public API: B used the account once, A deletes it, B's call is refused."""
    with Unifold(store=location) as a, Unifold(store=location) as b:
        account = a.accounts.create("capsule", environment="sandbox")
        b.crm.projects.list(integrated_account_id=account.id)
        a.accounts.delete(account.id)
        with pytest.raises(UnknownAccountError):
            b.crm.projects.list(integrated_account_id=account.id)
        assert b.accounts.list() == []


def test_api_tokens(opener: Opener) -> None:
    store = opener()
    token, plaintext = store.create_token("acme", "ci")
    other, other_plain = store.create_token("globex")
    assert plaintext not in repr(token) and plaintext not in str(store.list_tokens())
    assert store.verify_token(plaintext) == token
    assert store.verify_token(plaintext + "x") is None
    assert store.verify_token("") is None
    assert store.verify_token(None) is None  # type: ignore[arg-type]
    assert store.list_tokens("acme") == [token]
    assert {t.id for t in store.list_tokens()} == {token.id, other.id}
    rows = store._read("x", "SELECT * FROM api_tokens")
    assert not any(plaintext in str(v) or other_plain in str(v) for row in rows for v in row)
    assert store.revoke_token(token.id) is True
    assert store.revoke_token(token.id) is False
    assert store.verify_token(plaintext) is None
    assert store.verify_token(other_plain) == other
    revoked = store.list_tokens("acme")[0]
    assert revoked.revoked_at is not None
    with pytest.raises(StoreError.__mro__[1]):  # UnifoldError: a typed refusal
        store.create_token(None)  # type: ignore[arg-type]


def test_a_wrong_key_is_a_clear_error_and_changes_nothing(opener: Opener, monkeypatch: Any) -> None:
    store = opener()
    account = _account()
    store.add(account)
    right = __import__("os").environ["UNIFOLD_STORE_KEY"]
    monkeypatch.setenv("UNIFOLD_STORE_KEY", Fernet.generate_key().decode())
    with pytest.raises(StoreKeyError, match="not the key of the account store"):
        opener()
    monkeypatch.setenv("UNIFOLD_STORE_KEY", "not a key")
    with pytest.raises(StoreKeyError, match="not a Fernet key") as info:
        opener()
    assert "not a key" not in str(info.value)
    monkeypatch.setenv("UNIFOLD_STORE_KEY", right)
    assert opener().get(account.id) == account


def test_rotated_key_still_opens(opener: Opener, monkeypatch: Any) -> None:
    account = _account()
    opener().add(account)
    old = __import__("os").environ["UNIFOLD_STORE_KEY"]
    monkeypatch.setenv("UNIFOLD_STORE_KEY", f"{Fernet.generate_key().decode()},{old}")
    assert opener(key=None).get(account.id) == account


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("credentials", "garbage", "do not decrypt"),
        ("params", "[1, 2]", "params are not a JSON object"),
        ("integration", "salesforce", "'salesforce' is not known"),
        ("status", "weird", "status is neither"),
    ],
)
def test_one_corrupt_row_is_reported_and_does_not_hide_the_others(
    opener: Opener, column: str, value: str, reason: str
) -> None:
    """D12: `list()` skips and reports the damaged account; `get` of it is a typed error."""
    store = opener()
    good, bad = _account(), _account()
    store.add(good)
    store.add(bad)
    store._write("x", f"UPDATE integrated_accounts SET {column} = ? WHERE id = ?", (value, bad.id))
    with pytest.warns(CorruptAccountWarning, match=f"{bad.id}.*{reason}"):
        assert store.list() == [good]
    with pytest.raises(CorruptAccountError, match=reason) as info:
        store.get(bad.id)
    assert info.value.account_id == bad.id


def test_credentials_copied_onto_another_account_do_not_open(opener: Opener) -> None:
    store = opener()
    a, b = _account(token="a-token"), _account(token="b-token")
    store.add(a)
    store.add(b)
    sealed = store._read("x", "SELECT credentials FROM integrated_accounts WHERE id = ?", (a.id,))
    store._write(
        "x", "UPDATE integrated_accounts SET credentials = ? WHERE id = ?", (sealed[0][0], b.id)
    )
    with pytest.raises(CorruptAccountError, match="belong to another account"):
        store.get(b.id)


def test_store_errors_are_typed(opener: Opener) -> None:
    store = opener()
    account = _account()
    store.add(account)
    with pytest.raises(StoreError, match="cannot add account"):
        store.add(account)


def test_locked_save_is_seen_by_others(opener: Opener) -> None:
    a, b = opener(), opener()
    account = _account()
    a.add(account)
    with a.locked(account.id) as held:
        assert held.account == account
        held.save(dataclasses.replace(account, status="needs_reauth"))
    got = b.get(account.id)
    assert got is not None and got.status == "needs_reauth"
    with a.locked("missing") as held:
        assert held.account is None


def test_no_warning_on_a_healthy_list(opener: Opener) -> None:
    store = opener()
    store.add(_account())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(store.list()) == 1


def test_locked_excludes_other_connections_until_commit(opener: Opener) -> None:
    """The account lock holds across connections (processes): B waits for A's save."""
    import threading
    import time

    a, b = opener(), opener()
    account = _account()
    a.add(account)
    inside, seen = threading.Event(), []

    def second() -> None:
        inside.wait()
        with b.locked(account.id) as held:
            assert held.account is not None
            seen.append(held.account.status)

    thread = threading.Thread(target=second)
    thread.start()
    with a.locked(account.id) as held:
        inside.set()
        time.sleep(0.3)  # B is now waiting for the lock
        held.save(dataclasses.replace(account, status="needs_reauth"))
    thread.join(10)
    assert seen == ["needs_reauth"]


def test_unifold_database_url_selects_postgresql(postgres_url: str, monkeypatch: Any) -> None:
    monkeypatch.setenv("UNIFOLD_STORE_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("UNIFOLD_DATABASE_URL", postgres_url)
    with Unifold() as uf:
        account = uf.accounts.create("capsule", {"token": "t"}, base_url="http://127.0.0.1:9/x")
        assert type(uf._core._store).__name__ == "PostgresStore"
    with open_store(postgres_url) as store:
        assert store.get(account.id) == account
    monkeypatch.delenv("UNIFOLD_STORE_KEY")
    with pytest.raises(StoreKeyError, match="UNIFOLD_STORE_KEY"):
        Unifold()


def test_a_wrong_database_url_is_a_typed_error(postgres_server: str, monkeypatch: Any) -> None:
    monkeypatch.setenv("UNIFOLD_STORE_KEY", Fernet.generate_key().decode())
    port = postgres_server.rsplit(":", 1)[1].split("/")[0]
    url = f"postgresql://nobody:hunter2@127.0.0.1:{port}/no_such_db"
    with pytest.raises(StoreError) as info:
        open_store(url)
    assert "hunter2" not in str(info.value) and "***" in str(info.value)


def test_a_password_in_the_url_query_never_shows(postgres_server: str, monkeypatch: Any) -> None:
    # libpq also takes the password as a query parameter.
    monkeypatch.setenv("UNIFOLD_STORE_KEY", Fernet.generate_key().decode())
    port = postgres_server.rsplit(":", 1)[1].split("/")[0]
    url = f"postgresql://nobody@[::1]:{port}/no_such_db?password=hunter2&connect_timeout=2"
    with pytest.raises(StoreError) as info:
        open_store(url)
    assert "hunter2" not in str(info.value) and "[::1]" in str(info.value)


def test_many_processes_create_at_once_without_errors(tmp_path: Any) -> None:
    """D12: writers from several processes wait for each other (WAL, busy timeout)."""
    import subprocess
    import sys

    path = tmp_path / "busy.sqlite3"
    open_store(path).close()
    script = (
        "import sys\n"
        "from unifold import Unifold\n"
        "with Unifold(store=sys.argv[1]) as uf:\n"
        "    for _ in range(20):\n"
        "        uf.accounts.create('capsule', {'token': 't'}, base_url='http://127.0.0.1:9/x')\n"
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(path)], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    with stopped_on_exit(*workers):
        codes = [w.wait(120) for w in workers]
        assert codes == [0] * 4, [w.stderr.read() for w in workers if w.stderr]
    with open_store(path) as store:
        assert len(store.list()) == 80
