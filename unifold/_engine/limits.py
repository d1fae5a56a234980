"""Client limits: how many provider requests may be in flight, and how big an answer may be.

In-flight requests are bounded per client and per account by semaphores taken before a request
is handed to httpx, so a burst queues cheaply here instead of in httpx's connection pool
(whose queue slows down with its length and, on a pool timeout, leaks connections in an async
client). The client's own pool is sized to the same bound, so a request never waits for a
connection.
"""

from __future__ import annotations

import asyncio
import math
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from unifold import _errors as errors

DEFAULT_MAX_CONCURRENCY = 100  # httpx's default pool size
DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_DECOMPRESSION_RATIO = 100.0
# Error bodies are kept on the error: a little of them is all anyone reads.
MAX_ERROR_BODY_BYTES = 1024 * 1024
# Below this many decoded bytes the ratio is not checked: small JSON compresses very well.
RATIO_FLOOR_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    max_concurrency_per_account: int | None = None  # None: the client's bound
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_decompression_ratio: float = DEFAULT_MAX_DECOMPRESSION_RATIO

    @classmethod
    def build(
        cls,
        max_concurrency: Any = DEFAULT_MAX_CONCURRENCY,
        max_concurrency_per_account: Any = None,
        max_response_bytes: Any = DEFAULT_MAX_RESPONSE_BYTES,
        max_decompression_ratio: Any = DEFAULT_MAX_DECOMPRESSION_RATIO,
    ) -> Limits:
        per_account = (
            None
            if max_concurrency_per_account is None
            else _positive("max_concurrency_per_account", max_concurrency_per_account)
        )
        ratio = max_decompression_ratio
        if (
            isinstance(ratio, bool)
            or not isinstance(ratio, int | float)
            or not math.isfinite(ratio)
            or ratio < 1
        ):
            raise errors.InvalidParameterError(
                f"max_decompression_ratio must be a finite number >= 1, not {errors.shown(ratio)}",
                field="max_decompression_ratio",
                accepted=">= 1",
            )
        return cls(
            max_concurrency=_positive("max_concurrency", max_concurrency),
            max_concurrency_per_account=per_account,
            max_response_bytes=_positive("max_response_bytes", max_response_bytes),
            max_decompression_ratio=float(ratio),
        )

    @property
    def per_account(self) -> int:
        return min(self.max_concurrency_per_account or self.max_concurrency, self.max_concurrency)

    @property
    def bounds_accounts(self) -> bool:
        """Whether an account has a bound of its own (else the client's bounds it already)."""
        return self.per_account < self.max_concurrency


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise errors.InvalidParameterError(
            f"{name} must be a positive integer, not {errors.shown(value)}",
            field=name,
            accepted=">= 1",
        )
    return value


class SyncGate:
    """In-flight bounds for the sync client (threads)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._all = threading.BoundedSemaphore(limits.max_concurrency)
        self._accounts: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()
        self._own_bounds = limits.bounds_accounts

    def _account(self, account_id: str) -> threading.BoundedSemaphore:
        sem = self._accounts.get(account_id)
        if sem is None:
            with self._lock:
                sem = self._accounts.setdefault(
                    account_id, threading.BoundedSemaphore(self.limits.per_account)
                )
        return sem

    def acquire(self, account_id: str) -> None:
        if not self._own_bounds:
            self._all.acquire()
            return
        account = self._account(account_id)
        account.acquire()
        try:
            self._all.acquire()
        except BaseException:
            account.release()
            raise

    def release(self, account_id: str) -> None:
        self._all.release()
        if self._own_bounds:
            self._accounts[account_id].release()


class AsyncGate:
    """In-flight bounds for the async client. asyncio semaphores belong to one event loop, so
    each loop the client is used from gets its own (a client may outlive an `asyncio.run`)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._loops: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[asyncio.Semaphore, dict[str, asyncio.Semaphore]]
        ] = weakref.WeakKeyDictionary()

    def _semaphores(self, account_id: str) -> tuple[asyncio.Semaphore, asyncio.Semaphore | None]:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = (asyncio.Semaphore(self.limits.max_concurrency), {})
        everyone, accounts = state
        if not self.limits.bounds_accounts:
            return everyone, None
        account = accounts.get(account_id)
        if account is None:
            account = accounts[account_id] = asyncio.Semaphore(self.limits.per_account)
        return everyone, account

    async def acquire(self, account_id: str) -> tuple[asyncio.Semaphore, asyncio.Semaphore | None]:
        """The client's slot and the account's (None when the client's bound is the account's
        too); the caller releases both."""
        everyone, account = self._semaphores(account_id)
        if account is None:
            await everyone.acquire()
            return everyone, None
        await account.acquire()
        try:
            await everyone.acquire()
        except BaseException:
            account.release()
            raise
        return everyone, account
