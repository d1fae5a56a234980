"""OAuth accounts (Teamleader, Capsule): connect, transparent refresh exactly once (threads,
async tasks, processes), rotation saved before use, a refused refresh ends in needs_reauth."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._net import stopped_on_exit, uvicorn_thread
from unifold import AsyncUnifold, Unifold
from unifold._errors import (
    AccountConfigError,
    OAuthError,
    ReauthRequiredError,
    StoreError,
    UnknownAccountError,
)
from unifold._oauth import OAuthApp
from unifold.sandbox import SANDBOX_OAUTH_APPS, SEED_PROJECT_IDS, SandboxProvider, asgi_app
from unifold.sandbox import create_provider as create_emulator

TL = "teamleader"
PROJECT = SEED_PROJECT_IDS[TL][0]
TOKEN_PATHS = {"teamleader": "/oauth2/access_token", "capsule": "/oauth/token"}


def grants(box: SandboxProvider, grant_type: str = "refresh_token") -> int:
    """How many token requests of a grant type the emulator got."""
    path = TOKEN_PATHS[box.integration]
    return sum(1 for r in box.received if r.path == path and r.json == {"grant_type": grant_type})


def rename(uf: Unifold, account_id: str, name: str) -> Any:
    return uf.crm.projects.update(PROJECT, {"name": name}, integrated_account_id=account_id)


@pytest.fixture
def uf(tmp_path: Path) -> Iterator[Unifold]:
    with Unifold(store=tmp_path / "accounts.sqlite3") as client:
        yield client


def test_update_expire_update_refreshes_exactly_once(uf: Unifold) -> None:
    account = uf.accounts.create(TL, environment="sandbox")
    box = uf.accounts.sandbox(account.id)
    rename(uf, account.id, "Before expiry")
    box.expire_access_tokens()
    assert rename(uf, account.id, "After expiry").name == "After expiry"
    assert grants(box) == 1
    stored = uf.accounts.get(account.id)
    assert stored.credentials["refresh_token"] != account.credentials["refresh_token"]  # rotated
    assert stored.credentials["access_token"] != account.credentials["access_token"]
    assert stored.status == "active"
    rename(uf, account.id, "Again")
    assert grants(box) == 1  # the new token holds


def test_refresh_locks_do_not_pile_up_per_account(uf: Unifold) -> None:
    """A server sees many accounts: the per-account refresh lock lives only while in use."""
    import gc

    from unifold._oauth import session

    refreshed = set()
    for n in range(5):
        account = uf.accounts.create(TL, environment="sandbox")
        uf.accounts.sandbox(account.id).expire_access_tokens()
        assert rename(uf, account.id, f"Refreshed {n}").name == f"Refreshed {n}"
        assert grants(uf.accounts.sandbox(account.id)) == 1
        refreshed.add(account.id)
    gc.collect()
    assert not [key for key in session._locks if key[1] in refreshed]


@pytest.fixture(params=["sqlite", "postgres"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: Any) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "accounts.sqlite3")
    from cryptography.fernet import Fernet

    monkeypatch.setenv("UNIFOLD_STORE_KEY", Fernet.generate_key().decode())
    return str(request.getfixturevalue("postgres_url"))


def test_eight_threads_after_expiry_refresh_once(any_store: str) -> None:
    with Unifold(store=any_store) as uf:
        _eight_threads(uf)


def _eight_threads(uf: Unifold) -> None:
    account = uf.accounts.create(TL, environment="sandbox")
    box = uf.accounts.sandbox(account.id)
    rename(uf, account.id, "warm")
    box.expire_access_tokens()
    start, results, failures = threading.Barrier(8), [], []

    def worker(n: int) -> None:
        start.wait()
        try:
            results.append(rename(uf, account.id, f"thread {n}"))
        except Exception as exc:  # collected, asserted below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and len(results) == 8
    assert grants(box) == 1


async def test_async_tasks_after_expiry_refresh_once(tmp_path: Path) -> None:
    async with AsyncUnifold(store=tmp_path / "a.sqlite3") as auf:
        account = auf.accounts.create(TL, environment="sandbox")
        box = auf.accounts.sandbox(account.id)
        await auf.crm.projects.get(PROJECT, integrated_account_id=account.id)
        box.expire_access_tokens()
        got = await asyncio.gather(
            *(auf.crm.projects.get(PROJECT, integrated_account_id=account.id) for _ in range(8))
        )
        assert len(got) == 8
        assert grants(box) == 1


def test_a_token_near_expiry_is_refreshed_before_the_call(uf: Unifold) -> None:
    account = uf.accounts.create(TL, environment="sandbox")
    box = uf.accounts.sandbox(account.id)
    soon = {**account.credentials, "expires_at": str(int(time.time()) + 5)}
    uf.accounts.update(account.id, credentials=soon)
    rename(uf, account.id, "Proactive")
    paths = [r.path for r in box.received]
    assert paths[0] == TOKEN_PATHS[TL] and grants(box) == 1  # before the call, no 401 first
    assert len(paths) == len([p for p in paths if p != TOKEN_PATHS[TL]]) + 1


def test_the_rotated_token_is_saved_before_the_new_access_token_is_used(
    uf: Unifold, monkeypatch: Any
) -> None:
    account = uf.accounts.create(TL, environment="sandbox")
    box = uf.accounts.sandbox(account.id)
    box.expire_access_tokens()
    store = uf._core._store

    def failing_update(*args: Any, **kwargs: Any) -> int:
        raise StoreError("disk full (test)")

    monkeypatch.setattr(store, "_update", failing_update)
    with pytest.raises(StoreError, match="disk full"):
        rename(uf, account.id, "never sent")
    # The refresh happened, but nothing went out after it: not with the token that could not
    # be saved.
    assert grants(box) == 1
    assert box.received[-1].path == TOKEN_PATHS[TL]


def test_a_revoked_refresh_token_means_needs_reauth_without_a_loop(uf: Unifold) -> None:
    refreshed: list[Any] = []
    account = uf.accounts.create(TL, environment="sandbox")
    box = uf.accounts.sandbox(account.id)
    box.revoke_refresh_tokens()
    box.expire_access_tokens()
    with pytest.raises(ReauthRequiredError) as info:
        rename(uf, account.id, "x")
    assert grants(box) == 1  # one attempt, no retry loop
    error = info.value
    assert error.account_id == account.id and error.status_code == 401
    assert "revoked" in (error.reason or "").lower()
    for secret in (account.credentials["refresh_token"], account.credentials["client_secret"]):
        assert secret not in str(error) and secret not in repr(error.to_dict())
    stored = uf.accounts.get(account.id)
    assert stored.status == "needs_reauth"
    assert stored.auth_failed_at and "revoked" in (stored.auth_failure_reason or "").lower()
    sent = len(box.received)
    with pytest.raises(ReauthRequiredError):
        rename(uf, account.id, "y")
    assert len(box.received) == sent  # fails fast: nothing sent at all
    with pytest.raises(ReauthRequiredError):
        uf.crm.projects.fields(integrated_account_id=account.id)
    assert len(box.received) == sent
    assert refreshed == []


def test_new_credentials_revive_a_needs_reauth_account(uf: Unifold) -> None:
    account = uf.accounts.create(TL, environment="sandbox")
    box = uf.accounts.sandbox(account.id)
    box.revoke_refresh_tokens()
    box.expire_access_tokens()
    with pytest.raises(ReauthRequiredError):
        rename(uf, account.id, "x")
    fresh = uf.accounts.create(TL, environment="sandbox")  # a new grant, as a reconnect gives
    box.adopt_grant(  # type: ignore[attr-defined]
        fresh.credentials["access_token"],
        fresh.credentials["refresh_token"],
        float(fresh.credentials["expires_at"]),
    )
    revived = uf.accounts.update(account.id, credentials=dict(fresh.credentials))
    assert (revived.id, revived.status) == (account.id, "active")
    assert revived.auth_failure_reason  # the last failure stays on record
    assert rename(uf, account.id, "Revived").name == "Revived"


def test_on_token_refresh_is_called_with_the_saved_account(tmp_path: Path) -> None:
    seen: list[Any] = []
    with Unifold(store=tmp_path / "s.sqlite3", on_token_refresh=seen.append) as client:
        account = client.accounts.create(TL, environment="sandbox")
        client.accounts.sandbox(account.id).expire_access_tokens()
        rename(client, account.id, "x")
        assert len(seen) == 1 and seen[0].id == account.id
        assert seen[0].credentials == client.accounts.get(account.id).credentials


def test_capsule_oauth_sandbox_and_personal_tokens(uf: Unifold) -> None:
    account = uf.accounts.create("capsule", environment="sandbox")
    assert "refresh_token" in account.credentials
    box = uf.accounts.sandbox(account.id)
    box.expire_access_tokens()
    uf.crm.projects.get(SEED_PROJECT_IDS["capsule"][0], integrated_account_id=account.id)
    assert grants(box) == 1
    personal = uf.accounts.create(
        "capsule", {"token": "sandbox-capsule-token"}, environment="sandbox"
    )
    uf.crm.projects.get(SEED_PROJECT_IDS["capsule"][0], integrated_account_id=personal.id)


def test_another_client_on_the_same_store_uses_and_refreshes_the_grant(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    with Unifold(store=path) as a, Unifold(store=path) as b:
        account = a.accounts.create(TL, environment="sandbox")
        rename(b, account.id, "from b")  # b's own emulator honours the account's grant
        b.accounts.sandbox(account.id).expire_access_tokens()
        rename(b, account.id, "b refreshed")
        assert grants(b.accounts.sandbox(account.id)) == 1
        assert a.accounts.get(account.id).credentials == b.accounts.get(account.id).credentials


# -- accounts.update --------------------------------------------------------------------------


def test_update_keeps_the_id_and_a_bad_update_changes_nothing(uf: Unifold) -> None:
    account = uf.accounts.create(
        "insightly", {"api_key": "k1"}, params={"pod": "na1"}, base_url="http://127.0.0.1:9/v3.1"
    )
    updated = uf.accounts.update(account.id, credentials={"api_key": "k2"}, params={"pod": "eu1"})
    assert (updated.id, updated.created_at) == (account.id, account.created_at)
    assert uf.accounts.get(account.id).credentials["api_key"] == "k2"
    assert uf.accounts.get(account.id).params["pod"] == "eu1"
    before = uf.accounts.get(account.id)
    for bad in (
        {"params": {"pod": "not a pod!"}},
        {"params": {"region": "x"}},
        {"credentials": {"token": "wrong key"}},
        {"credentials": {"api_key": "line\nbreak"}},
        {"credentials": {"api_key": "k3"}, "params": {"pod": "??"}},
        {"params": {1: "x", "pod": "eu1"}},
        {"params": 1},
        {"credentials": ["api_key"]},
    ):
        with pytest.raises(AccountConfigError):
            uf.accounts.update(account.id, **bad)  # type: ignore[arg-type]
        assert uf.accounts.get(account.id) == before
    for missing in ("no-such-account", 42, {"id": 1}):
        with pytest.raises(UnknownAccountError):
            uf.accounts.update(missing, params={})  # type: ignore[arg-type]
    with pytest.raises(UnknownAccountError):
        uf.accounts.update(account.id, params={}, tenant="someone-else")


# -- the connect flow, against a served emulator --------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[SandboxProvider, str]]:
    """A Teamleader emulator served over loopback HTTP from this process (so the test can
    reach its state), as `python -m unifold.sandbox serve` would."""
    provider = create_emulator(TL)
    with uvicorn_thread(asgi_app(provider)) as origin:
        yield provider, origin


def test_connect_flow(uf: Unifold, served: tuple[SandboxProvider, str]) -> None:
    import httpx

    box, origin = served
    app = OAuthApp(TL, **SANDBOX_OAUTH_APPS[TL])
    assert "client_secret" not in repr(app) and app.client_secret not in repr(app)
    url, state = uf.accounts.authorization_url(app, environment="sandbox", base_url=origin)
    assert url.startswith(origin + "/oauth2/authorize?") and f"state={state}" in url
    assert "client_id=sandbox-teamleader-client" in url and "redirect_uri=" in url
    back = httpx.get(url, follow_redirects=False).headers["location"]  # the user consents
    params = dict(httpx.URL(back).params)
    received = len(box.received)
    with pytest.raises(OAuthError, match="state"):
        uf.accounts.connect(
            app, code=params["code"], state="forged", expected_state=state,
            environment="sandbox", base_url=origin,
        )  # fmt: skip
    assert len(box.received) == received  # nothing sent for a forged callback
    account = uf.accounts.connect(
        app, code=params["code"], state=params["state"], expected_state=state,
        environment="sandbox", base_url=origin,
    )  # fmt: skip
    assert grants(box, "authorization_code") == 1
    assert rename(uf, account.id, "Connected").name == "Connected"
    with pytest.raises(OAuthError, match="refused the authorization code"):  # single use
        uf.accounts.connect(
            app, code=params["code"], state=params["state"], expected_state=state,
            environment="sandbox", base_url=origin,
        )  # fmt: skip


def test_an_oauth_app_is_validated() -> None:
    with pytest.raises(AccountConfigError, match="no OAuth connect flow"):
        OAuthApp("planhat", "id", "secret", "https://example.com/cb")
    with pytest.raises(AccountConfigError, match="redirect_uri"):
        OAuthApp(TL, "id", "secret", "not a url")
    with pytest.raises(AccountConfigError, match="client_secret"):
        OAuthApp(TL, "id", "", "https://example.com/cb")


# -- two processes sharing one store and one served sandbox --------------------------------

_WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from unifold import Unifold
    store, account_id, go, n = sys.argv[1:5]
    with Unifold(store=store) as uf:
        uf.accounts.get(account_id)  # opened and ready
        Path(go + f".ready{n}").touch()
        while not Path(go).exists():
            time.sleep(0.005)
        project = uf.crm.projects.update(
            sys.argv[5], {"name": f"process {n}"}, integrated_account_id=account_id
        )
        print(project.name)
    """
)


def test_two_processes_sharing_a_store_refresh_once(
    tmp_path: Path, served: tuple[SandboxProvider, str]
) -> None:
    box, origin = served
    store = tmp_path / "shared.sqlite3"
    with Unifold(store=store) as uf:
        account = uf.accounts.create(TL, environment="sandbox", base_url=origin)
        rename(uf, account.id, "warm")
    box.expire_access_tokens()
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            # A project each: one process's read-back must not see the other's write.
            [
                sys.executable,
                "-c",
                _WORKER,
                str(store),
                account.id,
                str(go),
                str(n),
                SEED_PROJECT_IDS[TL][n],
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    with stopped_on_exit(*workers):
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"go.ready{n}").exists() for n in range(2)):
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.01)
        go.touch()
        outputs = [w.communicate(timeout=60) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        assert sorted(out.strip() for out, _ in outputs) == ["process 0", "process 1"]
    assert grants(box) == 1


def test_reconnect_puts_a_new_grant_on_the_same_account(
    uf: Unifold, served: tuple[SandboxProvider, str]
) -> None:
    import httpx

    box, origin = served
    app = OAuthApp(TL, **SANDBOX_OAUTH_APPS[TL])
    account = uf.accounts.create(TL, environment="sandbox", base_url=origin)
    box.revoke_refresh_tokens()
    box.expire_access_tokens()
    with pytest.raises(ReauthRequiredError):
        rename(uf, account.id, "x")
    url, state = uf.accounts.authorization_url(app, environment="sandbox", base_url=origin)
    params = dict(httpx.URL(httpx.get(url).headers["location"]).params)
    other = uf.accounts.create("capsule", environment="sandbox")
    with pytest.raises(AccountConfigError, match="is a capsule account"):
        uf.accounts.connect(
            app, code=params["code"], state=params["state"], expected_state=state,
            account_id=other.id,
        )  # fmt: skip
    again = uf.accounts.connect(
        app, code=params["code"], state=params["state"], expected_state=state,
        account_id=account.id,
    )  # fmt: skip
    assert (again.id, again.status, again.base_url) == (account.id, "active", origin)
    assert rename(uf, account.id, "Reconnected").name == "Reconnected"
    assert len(uf.accounts.list()) == 2


def test_sandbox_oauth_apps_is_a_mapping_of_the_oauth_emulators_only() -> None:
    from unifold.sandbox import sandbox_class
    from unifold.sandbox._oauth import OAuthSandbox

    apps = dict(SANDBOX_OAUTH_APPS)  # every key it lists can be looked up
    assert set(apps) == {n for n in SEED_PROJECT_IDS if issubclass(sandbox_class(n), OAuthSandbox)}
    assert "teamleader" in apps and "insightly" not in SANDBOX_OAUTH_APPS
