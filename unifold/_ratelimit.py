"""Proactive pacing: every request waits for a slot in its account's budget before it leaves.

The budgets are provider facts from the matrices (`provider.rate_limit.budgets`: Teamleader
200/min, Planhat 200/min, Insightly 10/s, Capsule 4,000/h), overridable per account. Slots
are counted by pyrate-limiter buckets, one per account, in a SQLite file next to the account
store (each take under SQLite's write lock), so every thread, task and process using that
store shares them; a `:memory:` store counts in memory, per client. The provider's own
headers still win: an answer that says nothing is left holds every caller of that account
until its reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyrate_limiter import AbstractBucket, InMemoryBucket, Rate, RateItem, SQLiteBucket

from unifold import _errors as errors
from unifold._matrix import Provider

# Slots are counted over a window a little longer than the provider's (5%, from 0.2 s to 3 s):
# a request reaches the provider a little after it leaves, and not always equally late.
PAD_SHARE, PAD_MIN, PAD_MAX = 0.05, 0.2, 3.0
SPREAD = 10  # a short window's budget is released in tenths (see `Budget.rates`)
SPREAD_UP_TO = 10.0  # seconds: longer windows dwarf the time a provider takes to answer
LEAK_EVERY = 64  # successful acquires between clean-ups of expired slots
BUSY_TIMEOUT_MS = 30_000  # how long a process waits for another one's take (each is ~0.1 ms)


@dataclass(frozen=True)
class Budget:
    """At most `limit` requests per `per_seconds`."""

    limit: int
    per_seconds: float

    def rates(self) -> list[Rate]:
        """The budget over its padded window and, for short windows, the same budget in tenths
        of it: a full window's worth sent at once reaches the provider spread over the time it
        takes to serve them, and on a short window that tail would count in the next one."""
        pad = min(max(self.per_seconds * PAD_SHARE, PAD_MIN), PAD_MAX)
        window_ms = max(1, round((self.per_seconds + pad) * 1000))
        rates = [Rate(self.limit, window_ms)]
        if self.limit >= SPREAD and self.per_seconds <= SPREAD_UP_TO:
            rates.append(Rate(-(-self.limit // SPREAD), max(1, window_ms // SPREAD)))
        return rates


def budgets_of(provider: Provider) -> tuple[Budget, ...]:
    """The documented budgets of a provider (its matrix `rate_limit.budgets`)."""
    return tuple(Budget(b.limit, b.per_seconds) for b in provider.rate_limit.budgets)


def _check(account_id: str, budgets: Iterable[Any]) -> tuple[Budget, ...]:
    out = []
    for item in budgets:
        limit, per = (item.limit, item.per_seconds) if isinstance(item, Budget) else item
        valid = (
            isinstance(limit, int)
            and not isinstance(limit, bool)
            and limit >= 1
            and isinstance(per, int | float)
            and not isinstance(per, bool)
            and per > 0
        )
        if not valid:
            raise errors.InvalidParameterError(
                f"rate limit budget {item!r} for account {account_id} is not (limit, seconds) "
                f"with a positive whole limit and positive seconds",
                field="budgets",
                accepted="[(200, 60)] = 200 requests per 60 seconds",
            )
        out.append(Budget(limit, float(per)))
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> tuple[Budget, ...]:
    """Stored budgets from their JSON text (read on every request, parsed once per text)."""
    return tuple(Budget(*b) for b in json.loads(text))


class _WriteLock:
    """What a SQLite bucket holds around each check-and-take: SQLite's own write lock
    (`BEGIN IMMEDIATE`), which every process sharing the file waits for, so no two count the
    same free slot; plus a thread lock, as this process's threads share the connection. (A
    `filelock` lock file did the same job at about three times the cost per request.) The
    bucket commits what it takes; anything else is rolled back when the lock is let go."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._thread = threading.RLock()
        self._depth = 0

    def __enter__(self) -> _WriteLock:
        self._thread.acquire()
        self._depth += 1
        if self._depth == 1:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                self._depth -= 1
                self._thread.release()
                raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._depth -= 1
            if self._depth == 0:
                try:
                    if self._conn.in_transaction:
                        self._conn.rollback()
                except sqlite3.ProgrammingError:  # the bucket closed its connection inside
                    pass
        finally:
            self._thread.release()


class _State:
    """Where slots, holds and overrides live: memory, or one SQLite file shared by processes."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._holds: dict[str, float] = {}
        self._overrides: dict[str, tuple[Budget, ...]] = {}
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
            with self._lock, self._db:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS holds (key TEXT PRIMARY KEY, until REAL NOT NULL)"
                )
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS overrides (account TEXT PRIMARY KEY, budgets TEXT)"
                )

    @contextmanager
    def store_errors(self, action: str) -> Iterator[None]:
        """SQLite's own errors (a take that waited longer than the busy timeout, a damaged
        file) as a typed `StoreError` naming the pacing file."""
        try:
            yield
        except sqlite3.Error as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                text = f"another process held it for more than {BUSY_TIMEOUT_MS // 1000} s ({text})"
            raise errors.StoreError(
                f"cannot {action} in the request-pacing store {self.path}: {text}",
                location=str(self.path),
            ) from exc

    def bucket(self, key: str, budgets: tuple[Budget, ...]) -> AbstractBucket:
        rates = sorted((r for b in budgets for r in b.rates()), key=lambda r: r.interval)
        if self.path is None:
            return InMemoryBucket(rates)
        table = "slots_" + hashlib.sha256(key.encode()).hexdigest()[:24]
        made = SQLiteBucket.init_from_file(rates, table=table, db_path=str(self.path))
        made.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        made.conn.execute("PRAGMA synchronous = NORMAL")  # slots need no power-loss durability
        return SQLiteBucket(rates, made.conn, table, lock=_WriteLock(made.conn))

    def hold(self, key: str) -> float:
        """Epoch seconds until which the provider said nothing is left (0 = no hold)."""
        if self._db is None:
            return self._holds.get(key, 0.0)
        with self._lock:
            row = self._db.execute("SELECT until FROM holds WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row else 0.0

    def set_hold(self, key: str, until: float) -> None:
        if self._db is None:
            self._holds[key] = max(until, self._holds.get(key, 0.0))
            return
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO holds (key, until) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                "until = max(until, excluded.until)",
                (key, until),
            )

    def override(self, account_id: str) -> tuple[Budget, ...] | None:
        if self._db is None:
            return self._overrides.get(account_id)
        with self._lock:
            row = self._db.execute(
                "SELECT budgets FROM overrides WHERE account = ?", (account_id,)
            ).fetchone()
        return _parsed(row[0]) if row else None

    def set_override(self, account_id: str, budgets: tuple[Budget, ...] | None) -> None:
        if self._db is None:
            if budgets is None:
                self._overrides.pop(account_id, None)
            else:
                self._overrides[account_id] = budgets
            return
        with self._lock, self._db:
            if budgets is None:
                self._db.execute("DELETE FROM overrides WHERE account = ?", (account_id,))
            else:
                text = json.dumps([[b.limit, b.per_seconds] for b in budgets])
                self._db.execute(
                    "INSERT INTO overrides (account, budgets) VALUES (?, ?) ON CONFLICT(account) "
                    "DO UPDATE SET budgets = excluded.budgets",
                    (account_id, text),
                )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class Pacer:
    """The budgets of every account of one store, and the gates the drivers wait at."""

    def __init__(self, path: str | Path | None) -> None:
        self._state = _State(Path(path) if path is not None else None)
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, tuple[Budget, ...]], _Bucket] = {}

    @classmethod
    def beside(cls, store: Any) -> Pacer:
        """The pacer of an account store: a SQLite file next to a SQLite store, memory for a
        `:memory:` store or any other."""
        file = getattr(store, "_file", None)
        if isinstance(file, Path):
            return cls(file.with_name(file.name + ".ratelimit"))
        return cls(None)

    def set(self, account_id: str, budgets: Sequence[Any] | None) -> None:
        """Override an account's budgets ([(limit, seconds), ...]); None restores the
        provider's documented ones. Shared by everything using the same store."""
        checked = None if budgets is None else _check(account_id, budgets)
        with self._state.store_errors("set the budgets"):
            self._state.set_override(account_id, checked)

    def budgets(self, account_id: str, documented: tuple[Budget, ...]) -> tuple[Budget, ...]:
        override = self._state.override(account_id)
        return documented if override is None else override

    def gate(self, key: str, account_id: str, documented: tuple[Budget, ...]) -> Gate | None:
        with self._state.store_errors("read the budgets"):
            budgets = self.budgets(account_id, documented)
        if not budgets:
            return None
        with self._lock:
            bucket = self._buckets.get((key, budgets))
            if bucket is None:
                with self._state.store_errors("open a budget"):
                    made = _Bucket(self._state.bucket(key, budgets))
                bucket = self._buckets[(key, budgets)] = made
        return Gate(key, bucket, self._state)

    def close(self) -> None:
        with self._lock:
            buckets = list(self._buckets.values())
            self._buckets.clear()
        try:
            for bucket in buckets:
                # Each on its own: one that cannot close (busy) leaves the others closing.
                with contextlib.suppress(sqlite3.Error):
                    bucket.bucket.close()
        finally:
            self._state.close()


class _Bucket:
    """One pyrate-limiter bucket, with the locks that let one waiter at a time poll it (per
    thread for sync callers, per event loop for async ones)."""

    def __init__(self, bucket: AbstractBucket) -> None:
        self.bucket = bucket
        self.thread_lock = threading.Lock()
        self._async_locks: dict[int, asyncio.Lock] = {}
        self._puts = 0
        self.in_flight = 0  # requests of this process sent and not answered yet

    def async_lock(self) -> asyncio.Lock:
        loop = id(asyncio.get_running_loop())
        lock = self._async_locks.get(loop)
        if lock is None:
            lock = self._async_locks[loop] = asyncio.Lock()
        return lock

    def try_take(self, key: str) -> float:
        """Take a slot now (0.0), or the seconds until one may be free."""
        with self.thread_lock:
            now = self.bucket.now()  # type: ignore[no-untyped-call]
            assert isinstance(now, int)
            item = RateItem(key, now)
            if self.bucket.put(item):
                self._puts += 1
                if self._puts % LEAK_EVERY == 0:
                    self.bucket.leak(now)
                return 0.0
            waiting = self.bucket.waiting(item)
            assert isinstance(waiting, int)
            return max(waiting / 1000, 0.001)


class Gate:
    """Where one account's requests wait for their slot."""

    def __init__(self, key: str, bucket: _Bucket, state: _State) -> None:
        self.key = key
        self._bucket = bucket
        self._state = state

    def _held(self, max_wait: float, integration: str) -> float:
        """Seconds the provider's own headers still hold this account (0 = none)."""
        with self._state.store_errors("read the provider's hold"):
            left = self._state.hold(self.key) - time.time()
        if left <= 0:
            return 0.0
        if left > max_wait:
            raise errors.ProviderRateLimitError(
                f"{integration}: the provider said no requests are left for about {left:.0f} s "
                f"(more than max_wait {max_wait:g} s); nothing was sent",
                retry_after=left,
                status_code=429,
                integration=integration,
            )
        return left

    def _take(self) -> float:
        with self._state.store_errors("take a request slot"):
            return self._bucket.try_take(self.key)

    def wait(self, max_wait: float, integration: str) -> None:
        while True:
            while (held := self._held(max_wait, integration)) > 0:
                time.sleep(held)
            delay = self._take()
            if delay == 0:
                break
            time.sleep(delay)
        self._bucket.in_flight += 1

    async def wait_async(self, max_wait: float, integration: str) -> None:
        async with self._bucket.async_lock():
            while True:
                while (held := self._held(max_wait, integration)) > 0:
                    await asyncio.sleep(held)
                delay = self._take()
                if delay == 0:
                    break
                await asyncio.sleep(delay)
        self._bucket.in_flight += 1

    def observe(self, remaining: int | None, reset_in: Callable[[], float | None]) -> None:
        """One answer, and the provider's own count if it sent one. The provider wins when it
        says fewer are left than this process has on the way: nobody sends until its reset."""
        self._bucket.in_flight = max(0, self._bucket.in_flight - 1)
        if remaining is None or remaining > self._bucket.in_flight:
            return
        seconds = reset_in()
        if seconds is not None and seconds > 0:
            with self._state.store_errors("keep the provider's hold"):
                self._state.set_hold(self.key, time.time() + seconds)
