"""The account cache (issue 8): an unchanged account is served from memory, and every way an
account can change (another connection or process, this store's own writes, a rolled-back
write, a revocation, an OAuth refresh elsewhere) is seen by the very next call."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._planhat_stub import BASE, RECORD
from tests.accounts.test_oauth import PROJECT, TL, grants, rename
from tests.accounts.test_oauth import served as served  # noqa: F401  (the fixture)
from unifold import Unifold
from unifold._accounts import AccountStore, Credentials, IntegratedAccount, new_account, open_store
from unifold._errors import ReauthRequiredError, UnknownAccountError
from unifold.sandbox import SandboxProvider

SEED_CAPSULE = "12"  # a seed project of the Capsule sandbox


def _account(token: str = "tok-1") -> IntegratedAccount:
    return new_account("planhat", "production", {"token": token}, None, BASE, False)


def _with_token(account: IntegratedAccount, token: str) -> IntegratedAccount:
    return dataclasses.replace(account, credentials=Credentials({"token": token}))


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AccountStore]:
    location = ":memory:" if request.param == "memory" else str(tmp_path / "a.sqlite3")
    with open_store(location) as opened:
        yield opened


def _no_reads(store: AccountStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> Any:
        raise AssertionError("the account row was read")

    monkeypatch.setattr(store, "_autocommit", refuse)


def test_an_unchanged_account_is_served_without_reading_it(
    store: AccountStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = _account()
    store.add(account)
    first = store.get(account.id)
    _no_reads(store, monkeypatch)
    assert store.get(account.id) is first
    assert store.get(account.id, tenant="someone-else") is None  # the tenant still applies


@pytest.mark.parametrize(
    "change",
    [
        lambda s, a: s.update(_with_token(a, "tok-2")),
        lambda s, a: s.update(dataclasses.replace(a, status="needs_reauth")),
        lambda s, a: s.delete(a.id),
    ],
    ids=["credentials", "revoked", "deleted"],
)
def test_own_writes_are_seen_at_once(
    store: AccountStore, change: Callable[[AccountStore, IntegratedAccount], Any]
) -> None:
    account = _account()
    store.add(account)
    store.get(account.id)
    change(store, account)
    rows = store._read("x", "SELECT id, status FROM integrated_accounts")
    got = store.get(account.id)
    if not rows:
        assert got is None
    else:
        assert got is not None and got != account


def test_a_locked_save_is_seen_and_a_rolled_back_one_is_not(store: AccountStore) -> None:
    account = _account()
    store.add(account)
    store.get(account.id)
    with pytest.raises(RuntimeError), store.locked(account.id) as held:
        held.save(_with_token(account, "uncommitted"))
        # Read inside the transaction: on ":memory:" (one connection) it sees the unsaved row.
        store.get(account.id)
        raise RuntimeError("the refresh failed after saving")
    got = store.get(account.id)
    assert got is not None and got.credentials["token"] == "tok-1"
    with store.locked(account.id) as held:
        held.save(_with_token(account, "tok-2"))
    got = store.get(account.id)
    assert got is not None and got.credentials["token"] == "tok-2"


def test_another_connection_s_commits_are_seen(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    with open_store(path) as mine, open_store(path) as theirs:
        account = _account()
        mine.add(account)
        assert mine.get(account.id) is mine.get(account.id)  # cached
        theirs.update(_with_token(account, "tok-2"))
        got = mine.get(account.id)
        assert got is not None and got.credentials["token"] == "tok-2"
        with theirs.locked(account.id) as held:
            held.save(dataclasses.replace(account, status="needs_reauth"))
        got = mine.get(account.id)
        assert got is not None and got.status == "needs_reauth"
        theirs.delete(account.id)
        assert mine.get(account.id) is None


# -- through the client: the endpoint (auth header, secrets) built per account ---------------

_OTHER_PROCESS = textwrap.dedent(
    """
    import sys
    from unifold import Unifold
    store, account_id, action = sys.argv[1:4]
    with Unifold(store=store) as uf:
        if action == "delete":
            uf.accounts.delete(account_id)
        else:
            uf.accounts.update(account_id, credentials={"token": action})
    """
)


def _other_process(script: str, *args: str) -> None:
    subprocess.run([sys.executable, "-c", script, *args], check=True, timeout=60)


def test_another_process_s_new_credentials_and_deletion_are_used(tmp_path: Path) -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["authorization"])
        return httpx.Response(200, json=RECORD)

    store = tmp_path / "a.sqlite3"
    http = httpx.Client(transport=httpx.MockTransport(handler))
    with Unifold(store=store, http_client=http) as uf:
        account = uf.accounts.create("planhat", {"token": "tok-1"}, base_url=BASE)

        def update() -> Any:
            return uf.crm.projects.update(
                RECORD["_id"], {"name": "P"}, integrated_account_id=account.id
            )

        update()
        update()
        _other_process(_OTHER_PROCESS, str(store), account.id, "tok-2")
        update()
        assert sent == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
        _other_process(_OTHER_PROCESS, str(store), account.id, "delete")
        with pytest.raises(UnknownAccountError):
            update()
        assert uf._core._endpoints == {}  # the deleted account's secrets are gone too


def test_a_revocation_by_another_client_stops_the_next_call(tmp_path: Path) -> None:
    store = tmp_path / "a.sqlite3"
    with Unifold(store=store) as mine, Unifold(store=store) as theirs:
        account = mine.accounts.create("planhat", environment="sandbox")
        mine.crm.projects.list(integrated_account_id=account.id)
        with theirs._core._store.locked(account.id) as held:
            assert held.account is not None
            held.save(dataclasses.replace(held.account, status="needs_reauth"))
        with pytest.raises(ReauthRequiredError):
            mine.crm.projects.list(integrated_account_id=account.id)


_REFRESHER = textwrap.dedent(
    """
    import sys
    from unifold import Unifold
    store, account_id, project = sys.argv[1:4]
    with Unifold(store=store) as uf:
        uf.crm.projects.update(project, {"name": "elsewhere"}, integrated_account_id=account_id)
    """
)


def test_a_token_refreshed_by_another_process_is_used_without_a_401(
    tmp_path: Path, served: tuple[SandboxProvider, str]
) -> None:
    box, store = served[0], tmp_path / "a.sqlite3"
    with Unifold(store=store) as uf:
        account = uf.accounts.create(TL, environment="sandbox", base_url=served[1])
        for name in ("warm", "warm again"):  # the second sends what every update sends
            before = len(box.received)
            rename(uf, account.id, name)
        calls_per_update = len(box.received) - before
        box.expire_access_tokens()
        _other_process(_REFRESHER, str(store), account.id, PROJECT)
        assert grants(box) == 1
        before = len(box.received)
        assert rename(uf, account.id, "here").name == "here"
        # The other process's token at once: no request with the old one (refused with 401).
        assert len(box.received) - before == calls_per_update
        assert grants(box) == 1
        stored = uf.accounts.get(account.id).credentials
        assert stored["access_token"] != account.credentials["access_token"]


def test_a_reader_during_a_locked_save_never_gets_the_account_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An OAuth refresh saves under `locked()`; on `:memory:` (one connection, so no data
    version moves) a reader in another thread that comes in while the save is being finished
    must wait and see the saved account. (On a file, a read before the commit may rightly see
    the old one; the commit then moves the data version.)"""
    import threading
    from contextlib import contextmanager

    store = open_store(":memory:")
    account = _account()
    store.add(account)
    store.get(account.id)  # served from memory from now on
    finishing, go_on = threading.Event(), threading.Event()
    count_write = store._wrote

    @contextmanager
    def slow_count() -> Iterator[None]:
        try:
            yield
        finally:
            finishing.set()
            go_on.wait(5)
            with count_write():
                pass

    monkeypatch.setattr(store, "_wrote", slow_count)

    def refresh() -> None:
        with store.locked(account.id) as held:
            held.save(_with_token(account, "tok-2"))

    saver = threading.Thread(target=refresh)
    saver.start()
    assert finishing.wait(5)
    seen: list[IntegratedAccount | None] = []
    reader = threading.Thread(target=lambda: seen.append(store.get(account.id)))
    reader.start()
    reader.join(0.3)  # let it read now if it can
    go_on.set()
    saver.join(5)
    reader.join(5)
    store.close()
    assert seen and seen[0] is not None
    assert seen[0].credentials["token"] == "tok-2"


def test_no_decrypted_account_outlives_its_delete_or_the_store(tmp_path: Path) -> None:
    with Unifold(store=tmp_path / "a.sqlite3") as uf:
        account = uf.accounts.create("capsule", environment="sandbox")
        uf.crm.projects.get(SEED_CAPSULE, integrated_account_id=account.id)
        assert account.id in uf._core._endpoints  # its endpoint holds the token
        uf.accounts.delete(account.id)
        assert account.id not in uf._core._endpoints
        other = uf.accounts.create("capsule", environment="sandbox")
        uf.accounts.get(other.id)
        store = uf._core._store
    assert store._accounts == {} and store._decoded == {}  # closed with the client


def test_the_caches_stay_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("unifold._accounts.store.CACHED_ACCOUNTS", 3)
    monkeypatch.setattr("unifold._client.CACHED_ACCOUNTS", 3)
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=RECORD)))
    with Unifold(store=tmp_path / "a.sqlite3", http_client=http) as uf:
        ids = [
            uf.accounts.create("planhat", {"token": f"t{n}"}, base_url=BASE).id for n in range(8)
        ]
        for account_id in ids * 2:
            got = uf.crm.projects.get(RECORD["_id"], integrated_account_id=account_id)
            assert got.id == RECORD["_id"]
            assert len(uf._core._store._accounts) <= 3 and len(uf._core._endpoints) <= 3
