"""The retry policy: when a failed provider call is tried again, and how long to wait first.

Pure decisions (no I/O), shared by the sync and async drivers. The caller controls three
numbers, per client and per call: `timeout` (httpx's, per request), `max_retries` and
`max_wait` (the longest single wait unifold will sleep; a provider asking for more fails at
once with `ProviderRateLimitError.retry_after` so the caller can schedule the retry).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from unifold import _errors as errors
from unifold._matrix import RateLimit

DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_WAIT = 30.0
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Surely never reached the provider: safe to send again, whatever the method.
UNSENT = (httpx.ConnectError, httpx.ConnectTimeout)
# Reached it or not, nobody knows: only a safe read is sent again.
UNCLEAR = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# A wait longer than a year is no hint (`inf`, `1e400`, a garbled date).
LONGEST_HINT = 366 * 86400.0


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = DEFAULT_MAX_RETRIES
    max_wait: float = DEFAULT_MAX_WAIT
    timeout: httpx.Timeout | None = None  # None: the HTTP client's own

    OPTIONS: ClassVar[tuple[str, str, str]] = ("timeout", "max_retries", "max_wait")

    @classmethod
    def build(
        cls,
        timeout: Any = None,
        max_retries: Any = None,
        max_wait: Any = None,
        base: RetryPolicy | None = None,
    ) -> RetryPolicy:
        """`base` with the given values replaced, each checked (a typed error names it)."""
        base = base or cls()
        return cls(
            max_retries=base.max_retries if max_retries is None else _count(max_retries),
            max_wait=base.max_wait if max_wait is None else _seconds("max_wait", max_wait),
            timeout=base.timeout if timeout is None else as_timeout(timeout),
        )


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise errors.InvalidParameterError(
            f"max_retries must be an integer from 0 to 100, not {errors.shown(value)}",
            field="max_retries",
            accepted="0..100",
        )
    return value


def _seconds(name: str, value: Any, low: float = 0.0) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < low or value > LONGEST_HINT:
        raise errors.InvalidParameterError(
            f"{name} must be a finite number of seconds (>= {low:g}), not {errors.shown(value)}",
            field=name,
            accepted="seconds",
        )
    return float(value)


def as_timeout(value: Any) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    return httpx.Timeout(_seconds("timeout", value, low=0.001))


def retry_after(headers: Mapping[str, str], rate_limit: RateLimit, status: int) -> float | None:
    """Seconds the provider asks us to wait: `Retry-After`, or (on 429 only) its rate-limit
    reset header. On a 5xx the reset header says when the window rolls over, not when to
    retry, so it is ignored. None when absent or unreadable."""
    if value := headers.get("retry-after"):
        try:
            return _hint(float(value))
        except ValueError:
            try:
                return _hint((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
            except (TypeError, ValueError, OverflowError):
                return None
    if status != 429:
        return None
    reset = rate_limit.reset
    if not reset or not (value := headers.get(reset.lower())):
        return None
    try:
        fmt = rate_limit.reset_format
        if fmt == "epoch_seconds":
            return _hint(float(value) - time.time())
        if fmt == "iso_datetime":
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:  # no offset given: UTC is what APIs mean
                moment = moment.replace(tzinfo=UTC)
            return _hint((moment - datetime.now(UTC)).total_seconds())
        return _hint(float(value))
    except (TypeError, ValueError, OverflowError):
        return None


def wait_hint(headers: Mapping[str, str], rate_limit: RateLimit, status: int) -> float | None:
    """The wait to decide a retry on and to report as `retry_after`: the provider's own
    (`retry_after`), else, for a 429 with nothing left of a quota that counts a long window and
    says nothing of its reset (Insightly's daily quota), that whole window, an upper bound. The
    bound is never used to hold other calls (pacing takes only the provider's own reset)."""
    hint = retry_after(headers, rate_limit, status)
    if hint is None and status == 429:
        return _spent_quota(headers, rate_limit)
    return hint


def _spent_quota(headers: Mapping[str, str], rate_limit: RateLimit) -> float | None:
    """The window when nothing is left of it; None for a 429 with calls left (a burst limit,
    retried with backoff)."""
    window = rate_limit.remaining_window_seconds
    name = rate_limit.remaining
    if not window or not name or (value := headers.get(name.lower())) is None:
        return None
    try:
        left = float(value)
    except ValueError:
        return None
    return float(window) if left <= 0 else None


def _hint(seconds: float) -> float | None:
    if not math.isfinite(seconds):
        return None if math.isnan(seconds) or seconds < 0 else LONGEST_HINT
    return min(max(0.0, seconds), LONGEST_HINT)


def backoff(attempt: int, policy: RetryPolicy) -> float:
    """Exponential backoff with jitter, when the provider gave no hint."""
    return min(0.5 * 2.0**attempt * (0.75 + random.random() / 2), 8.0, policy.max_wait)


def after_status(
    status: int, hint: float | None, attempt: int, policy: RetryPolicy, idempotent: bool
) -> float | None:
    """Seconds to wait before trying again, or None to give up now."""
    if status not in RETRY_STATUSES or attempt >= policy.max_retries:
        return None
    if status != 429 and not idempotent:  # a 5xx to a create may have created the record
        return None
    if hint is not None:
        return hint if hint <= policy.max_wait else None
    return backoff(attempt, policy)


def after_failure(
    exc: httpx.RequestError, attempt: int, policy: RetryPolicy, safe: bool, redirected: bool
) -> float | None:
    """Seconds to wait before sending again after a transport failure, or None to give up.

    A full local pool (PoolTimeout) is never retried: the pool is the bottleneck, and queueing
    again only makes the burst longer."""
    if attempt >= policy.max_retries or isinstance(exc, httpx.PoolTimeout):
        return None
    # A connect failure on a redirect hop comes after the first host got the request.
    if isinstance(exc, UNSENT) and not redirected:
        return backoff(attempt, policy)
    if isinstance(exc, UNCLEAR) and safe:
        return backoff(attempt, policy)
    return None
