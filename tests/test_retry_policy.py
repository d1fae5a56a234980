"""The retry policy callers control (timeout, max_retries, max_wait, per client and per call),
and what is never retried: a pool timeout, a write whose delivery is unclear, a far wait."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests._planhat_stub import BASE, PID, RECORD
from unifold import (
    AsyncUnifold,
    InvalidParameterError,
    ProviderConnectionError,
    ProviderNotFoundError,
    ProviderRateLimitError,
    ProviderServerError,
    Unifold,
)

TL_ID = "a0000000-7e57-4d1e-9a1b-000000000001"
Handler = Callable[[httpx.Request], httpx.Response]


ACCOUNTS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "planhat": ({"token": "t"}, {}),
    "teamleader": ({"access_token": "t"}, {}),
    "insightly": ({"api_key": "t"}, {"pod": "na1"}),
}


def client(
    handler: Handler, integration: str = "planhat", **options: object
) -> tuple[Unifold, str]:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    uf = Unifold(store=":memory:", http_client=http, **options)  # type: ignore[arg-type]
    credentials, params = ACCOUNTS[integration]
    acct = uf.accounts.create(integration, credentials, params=params, base_url=BASE)
    return uf, acct.id


def counting(response: Callable[[httpx.Request], httpx.Response]) -> tuple[Handler, list[str]]:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return response(request)

    return handler, calls


def test_a_far_retry_after_fails_at_once_with_its_wait() -> None:
    handler, calls = counting(lambda r: httpx.Response(429, headers={"Retry-After": "3600"}))
    uf, acct = client(handler)
    start = time.monotonic()
    with pytest.raises(ProviderRateLimitError) as caught:
        uf.crm.projects.get(PID, integrated_account_id=acct)
    assert time.monotonic() - start < 1.0
    assert caught.value.retry_after == 3600
    assert calls == ["GET"]  # not retried: the wait is beyond max_wait
    assert json.loads(json.dumps(caught.value.to_dict(), allow_nan=False))


def test_a_spent_daily_quota_is_not_retried() -> None:
    # Insightly's 429 with no calls left of its daily quota cannot succeed within max_wait.
    spent = {"X-RateLimit-Limit": "100000", "X-RateLimit-Remaining": "0"}
    answers = iter([httpx.Response(429, headers=spent)])
    handler, calls = counting(lambda r: next(answers, httpx.Response(404, json={})))
    uf, acct = client(handler, "insightly")
    start = time.monotonic()
    with pytest.raises(ProviderRateLimitError) as caught:
        uf.crm.projects.get("1001", integrated_account_id=acct)
    assert time.monotonic() - start < 1.0
    assert calls == ["GET"]
    assert caught.value.retry_after == 86400
    # The day is only an upper bound: it does not hold the account's later calls.
    with pytest.raises(ProviderNotFoundError):
        uf.crm.projects.get("1001", integrated_account_id=acct)
    assert calls == ["GET", "GET"]


def test_a_burst_429_with_quota_left_is_retried() -> None:
    left = {"X-RateLimit-Limit": "100000", "X-RateLimit-Remaining": "5"}
    handler, calls = counting(lambda r: httpx.Response(429, headers=left))
    uf, acct = client(handler, "insightly", max_retries=1, max_wait=0.05)
    with pytest.raises(ProviderRateLimitError) as caught:
        uf.crm.projects.get("1001", integrated_account_id=acct)
    assert calls == ["GET", "GET"]
    assert caught.value.retry_after is None


@pytest.mark.parametrize("value", ["inf", "1e400", "86400"])
def test_unbounded_retry_after_is_a_finite_hint(value: str) -> None:
    handler, calls = counting(lambda r: httpx.Response(429, headers={"Retry-After": value}))
    uf, acct = client(handler)
    with pytest.raises(ProviderRateLimitError) as caught:
        uf.crm.projects.get(PID, integrated_account_id=acct)
    assert calls == ["GET"]
    assert caught.value.retry_after is not None and caught.value.retry_after >= 86400
    json.dumps(caught.value.to_dict(), allow_nan=False)  # no Infinity in the JSON


def test_max_wait_per_call_lets_a_short_wait_happen() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "0.2"}) for _ in range(2)]
    answers.append(httpx.Response(200, json=RECORD))
    handler, calls = counting(lambda r: answers.pop(0))
    uf, acct = client(handler, max_wait=0.1)
    with pytest.raises(ProviderRateLimitError) as caught:
        uf.crm.projects.get(PID, integrated_account_id=acct)
    assert caught.value.retry_after == pytest.approx(0.2)
    assert uf.crm.projects.get(PID, integrated_account_id=acct, max_wait=1).id == PID
    assert calls == ["GET", "GET", "GET"]


def test_5xx_ignores_the_rate_limit_reset_header() -> None:
    # Capsule sends X-RateLimit-Reset on every answer: the window's end, not a retry hint.
    reset = str(int(time.time()) + 3600)
    handler, calls = counting(
        lambda r: httpx.Response(503, headers={"X-RateLimit-Reset": reset}, json={"message": "x"})
    )
    http = httpx.Client(transport=httpx.MockTransport(handler))
    uf = Unifold(store=":memory:", http_client=http, max_retries=1)
    acct = uf.accounts.create("capsule", {"token": "t"}, base_url=BASE)
    start = time.monotonic()
    with pytest.raises(ProviderServerError):
        uf.crm.projects.get("12", integrated_account_id=acct.id)
    assert time.monotonic() - start < 5.0  # a short backoff, not 30 s
    assert len(calls) == 2


@pytest.mark.parametrize("status", [429, 503])
def test_a_teamleader_reset_without_offset_is_utc(status: int) -> None:
    reset = (datetime.now(UTC) + timedelta(hours=2)).replace(tzinfo=None).isoformat()
    handler, calls = counting(
        lambda r: httpx.Response(status, headers={"X-RateLimit-Reset": reset}, json={})
    )
    uf, acct = client(handler, "teamleader", max_retries=1)
    with pytest.raises((ProviderRateLimitError, ProviderServerError)) as caught:
        uf.crm.projects.get(TL_ID, integrated_account_id=acct)
    if status == 429:
        assert isinstance(caught.value, ProviderRateLimitError)
        assert caught.value.retry_after == pytest.approx(7200, abs=5)
        assert calls == ["POST"]  # two hours is beyond max_wait


def test_retry_after_parsing() -> None:
    from unifold._engine import retry
    from unifold._matrix import RateLimit

    tl = RateLimit(reset="X-RateLimit-Reset", reset_format="iso_datetime", source="test")
    none = RateLimit(source="test")
    assert retry.retry_after({"retry-after": "nan"}, none, 429) is None
    assert retry.retry_after({"retry-after": "-5"}, none, 429) == 0.0
    assert retry.retry_after({"x-ratelimit-reset": "garbage"}, tl, 429) is None
    assert retry.retry_after({"x-ratelimit-reset": "9999-12-31T23:59:59-01:00"}, tl, 429) == (
        retry.LONGEST_HINT
    )
    assert retry.retry_after({"x-ratelimit-reset": "2030-01-01T00:00:00"}, tl, 503) is None


def test_a_pool_timeout_is_never_retried() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.PoolTimeout("pool full", request=request)

    handler2, calls = counting(handler)
    uf, acct = client(handler2)
    with pytest.raises(ProviderConnectionError, match="pool") as caught:
        uf.crm.projects.get(PID, integrated_account_id=acct)
    assert calls == ["GET"]
    assert caught.value.status_code == 503


def test_reads_are_retried_after_a_read_timeout_writes_are_not() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    handler2, calls = counting(handler)
    uf, acct = client(handler2)
    with pytest.raises(ProviderConnectionError):
        uf.crm.projects.get(PID, integrated_account_id=acct, max_wait=0.01)
    assert calls == ["GET"] * 3
    calls.clear()
    with pytest.raises(ProviderConnectionError):
        uf.crm.projects.update(PID, {"name": "x"}, integrated_account_id=acct)
    assert calls == ["PUT"]  # delivered or not, nobody knows: never sent twice


def test_a_teamleader_read_is_a_read_although_it_is_a_post() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("dropped", request=request)

    handler2, calls = counting(handler)
    uf, acct = client(handler2, "teamleader", max_retries=1, max_wait=0.01)
    with pytest.raises(ProviderConnectionError):
        uf.crm.projects.get(TL_ID, integrated_account_id=acct)
    assert calls == ["POST", "POST"]


def test_max_retries_per_call() -> None:
    handler, calls = counting(lambda r: httpx.Response(503, headers={"Retry-After": "0"}))
    uf, acct = client(handler)
    with pytest.raises(ProviderServerError):
        uf.crm.projects.get(PID, integrated_account_id=acct, max_retries=0)
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(ProviderServerError):
        uf.crm.projects.get(PID, integrated_account_id=acct, max_retries=4)
    assert len(calls) == 5


def test_timeout_per_call_reaches_httpx() -> None:
    seen: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json=RECORD)

    uf, acct = client(handler)
    uf.crm.projects.get(PID, integrated_account_id=acct, timeout=2.5)
    assert seen == [{"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("max_retries", "2"),
        ("max_retries", -1),
        ("max_retries", True),
        ("max_wait", float("nan")),
        ("max_wait", -1),
        ("timeout", 0),
        ("timeout", "5"),
    ],
)
def test_bad_policy_values_are_typed(option: str, value: object) -> None:
    uf, acct = client(lambda r: httpx.Response(200, json=RECORD))
    with pytest.raises(InvalidParameterError) as caught:
        uf.crm.projects.get(PID, integrated_account_id=acct, **{option: value})  # type: ignore[arg-type]
    assert caught.value.field == option
    if option != "timeout":
        with pytest.raises(InvalidParameterError):
            Unifold(store=":memory:", **{option: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("http_client", [object(), httpx.AsyncClient()])
def test_a_wrong_http_client_is_refused_at_construction(http_client: object) -> None:
    with pytest.raises(InvalidParameterError, match="http_client"):
        Unifold(store=":memory:", http_client=http_client)  # type: ignore[arg-type]


def test_a_connect_failure_after_a_redirect_does_not_resend_the_write() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        if request.url.host == "elsewhere.invalid":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(307, headers={"Location": "http://elsewhere.invalid/x"})

    http = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True)
    uf = Unifold(store=":memory:", http_client=http)
    acct = uf.accounts.create("planhat", {"token": "t"}, base_url=BASE)
    with pytest.raises(ProviderConnectionError):
        uf.crm.projects.update(PID, {"name": "x"}, integrated_account_id=acct.id)
    assert len(calls) == 2  # the first host got the PUT once, the redirect hop failed once


async def test_async_far_wait_fails_at_once() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(429, headers={"Retry-After": "3600"}))
    async with AsyncUnifold(
        store=":memory:", http_client=httpx.AsyncClient(transport=transport)
    ) as uf:
        acct = uf.accounts.create("planhat", {"token": "t"}, base_url=BASE)
        with pytest.raises(ProviderRateLimitError) as caught:
            await uf.crm.projects.get(PID, integrated_account_id=acct.id)
    assert caught.value.retry_after == 3600
