"""An account's Authorization header, kept valid: what the HTTP drivers call before a request
(`ensure_fresh`) and after a 401 (`renew`, then one retry).

Refreshing exactly once, whoever asks: a process-wide lock per account serializes this
process's threads (and async tasks, whose refresh runs in a worker thread); the store's account
lock (`AccountStore.locked`: SQLite `BEGIN IMMEDIATE`, PostgreSQL `SELECT ... FOR UPDATE`)
serializes processes. Whoever gets the lock first re-reads the account: if another caller has
already refreshed it, its token is used; if not, it refreshes and saves the rotated refresh
token, committed before the new access token is used. A refusal marks the account
`needs_reauth` and raises `ReauthRequiredError`: it is never retried.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import httpx

from unifold import _errors as errors
from unifold._accounts import AccountStore, Credentials, IntegratedAccount
from unifold._accounts.store import now_iso
from unifold._oauth import tokens
from unifold._oauth.providers import EARLY_REFRESH, OAuthProvider, is_oauth

logger = logging.getLogger("unifold")

OnRefresh = Callable[[IntegratedAccount], None]

# Weak values: a lock lives while a refresh holds it, so a long-running server that sees many
# accounts does not keep one lock per account it ever refreshed.
_locks: weakref.WeakValueDictionary[tuple[str, str], threading.Lock] = weakref.WeakValueDictionary()
_locks_guard = threading.Lock()


def _account_lock(store: AccountStore, account_id: str) -> threading.Lock:
    key = (store.location, account_id)
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = threading.Lock()
        return lock


def reauth_error(account: IntegratedAccount) -> errors.ReauthRequiredError:
    return errors.ReauthRequiredError(
        f"{account.integration} account {account.id} needs to be connected again: the provider "
        f"refused to refresh its token ({account.auth_failure_reason or 'no reason given'}) "
        f"at {account.auth_failed_at}. Run the connect flow again, or accounts.update(...) "
        "with new credentials",
        integration=account.integration,
        account_id=account.id,
        reason=account.auth_failure_reason,
    )


class StaticAuth:
    """A header that never changes (API keys, personal tokens)."""

    def __init__(self, header: str) -> None:
        self._header = header

    def header(self) -> str:
        return self._header

    def ensure_fresh(self) -> None:
        return None

    def renew(self, sent: str | None) -> bool:
        return False

    async def aensure_fresh(self) -> None:
        return None

    async def arenew(self, sent: str | None) -> bool:
        return False


class OAuthAuth:
    """The bearer token of one OAuth account, refreshed before expiry and after a 401."""

    def __init__(
        self,
        store: AccountStore,
        account: IntegratedAccount,
        provider: OAuthProvider,
        transport: Callable[[], httpx.BaseTransport | None],
        on_refresh: OnRefresh | None = None,
        fallback: Callable[[IntegratedAccount], str] | None = None,
    ) -> None:
        self._fallback = fallback  # the header of an account no longer OAuth (updated meanwhile)
        self._store = store
        self._account = account
        self._provider = provider
        self._transport = transport
        self._on_refresh = on_refresh

    def __repr__(self) -> str:
        return f"OAuthAuth({self._account.integration!r}, {self._account.id!r})"

    def header(self) -> str:
        credentials = self._account.credentials
        if "refresh_token" not in credentials and self._fallback is not None:
            return self._fallback(self._account)
        return f"Bearer {credentials['access_token']}"

    def _expiring(self, account: IntegratedAccount) -> bool:
        if not is_oauth(account.integration, account.credentials):
            return False
        try:
            expires_at = float(account.credentials["expires_at"])
        except (KeyError, ValueError):
            return True
        return time.time() >= expires_at - EARLY_REFRESH

    def ensure_fresh(self) -> None:
        if self._expiring(self._account):
            self._refresh(self._account.credentials["access_token"])

    def renew(self, sent: str | None) -> bool:
        """After a 401: make sure a token other than the one just refused is ready."""
        token = (sent or "").partition(" ")[2] or self._account.credentials["access_token"]
        self._refresh(token)
        return True

    async def aensure_fresh(self) -> None:
        if self._expiring(self._account):
            stale = self._account.credentials["access_token"]
            await asyncio.to_thread(self._refresh, stale)

    async def arenew(self, sent: str | None) -> bool:
        return await asyncio.to_thread(self.renew, sent)

    # -- the refresh ------------------------------------------------------------------------

    def _usable(self, account: IntegratedAccount, stale: str) -> bool:
        """Another caller already replaced the stale token (or the account stopped being
        OAuth, e.g. updated to a personal token)."""
        if not is_oauth(account.integration, account.credentials):
            return True
        return account.credentials["access_token"] != stale and not self._expiring(account)

    def _current(self, account: IntegratedAccount | None) -> IntegratedAccount:
        if account is None:
            raise errors.UnknownAccountError(f"no integrated account with id {self._account.id!r}")
        if account.status == "needs_reauth":
            raise reauth_error(account)
        return account

    def _refresh(self, stale: str) -> None:
        with _account_lock(self._store, self._account.id):
            account = self._current(self._store.get(self._account.id))
            if self._usable(account, stale):  # refreshed meanwhile in this process or another
                self._account = account
                return
            with self._store.locked(account.id) as held:
                account = self._current(held.account)
                if self._usable(account, stale):
                    self._account = account
                    return
                now = now_iso()
                try:
                    fresh = tokens.refresh(self._provider, account.credentials, self._transport())
                except tokens.TokenRejected as exc:
                    held.save(
                        dataclasses.replace(
                            account,
                            status="needs_reauth",
                            auth_failed_at=now,
                            auth_failure_reason=exc.reason,
                            updated_at=now,
                        )
                    )
                    refused: IntegratedAccount | None = held.account
                else:
                    # The rotated refresh token is saved (and committed as the block ends)
                    # before the new access token is ever sent.
                    held.save(
                        dataclasses.replace(
                            account, credentials=Credentials(fresh), status="active", updated_at=now
                        )
                    )
                    refused = None
            if refused is not None:
                logger.warning(
                    "%s account %s needs reauthorization: %s",
                    refused.integration,
                    refused.id,
                    refused.auth_failure_reason,
                )
                raise reauth_error(refused)
            assert held.account is not None
            self._account = held.account
        if self._on_refresh is not None:
            try:
                self._on_refresh(self._account)
            except Exception:  # the token is saved; a failing callback must not fail the call
                logger.exception("on_token_refresh callback failed")


Auth = StaticAuth | OAuthAuth


def auth_for(
    store: AccountStore,
    account: IntegratedAccount,
    header: Callable[[IntegratedAccount], str],
    provider: OAuthProvider | None,
    transport: Callable[[], Any],
    on_refresh: OnRefresh | None,
) -> Auth:
    if provider is not None and is_oauth(account.integration, account.credentials):
        return OAuthAuth(store, account, provider, transport, on_refresh, header)
    return StaticAuth(header(account))
