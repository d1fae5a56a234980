"""The HTTP driver: retries, connection failures and provider error mapping, on a mock transport
(no network), through a production-style account."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from tests._planhat_stub import BASE, PID, RECORD
from unifold import (
    AsyncUnifold,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderRateLimitError,
    ProviderServerError,
    Unifold,
)


def client(handler: Callable[[httpx.Request], httpx.Response]) -> tuple[Unifold, str]:
    uf = Unifold(store=":memory:", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    acct = uf.accounts.create("planhat", {"token": "tok-123"}, base_url=BASE)
    return uf, acct.id


def test_request_shape_and_auth_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=RECORD)

    uf, acct = client(handler)
    uf.crm.projects.update(
        PID, {"name": "P"}, integrated_account_id=acct, remote_query={"select": "name,_id"}
    )
    (request,) = seen
    assert request.method == "PUT"
    assert str(request.url) == f"{BASE}/projects/{PID}?select=name%2C_id"
    assert request.headers["authorization"] == "Bearer tok-123"
    assert json.loads(request.content) == {"name": "P"}


def test_429_and_503_are_retried_then_succeed() -> None:
    answers = [
        httpx.Response(429, headers={"Retry-After": "0"}, text="slow down"),
        httpx.Response(503, headers={"Retry-After": "0"}, text="busy"),
        httpx.Response(200, json=RECORD),
    ]
    uf, acct = client(lambda request: answers.pop(0))
    assert uf.crm.projects.update(PID, {"name": "P"}, integrated_account_id=acct).id == PID
    assert answers == []


def test_retries_are_bounded_and_the_last_error_is_typed() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, headers={"Retry-After": "0"}, json={"message": "limit"})

    uf, acct = client(handler)
    with pytest.raises(ProviderRateLimitError) as caught:
        uf.crm.projects.update(PID, {"name": "P"}, integrated_account_id=acct)
    assert len(calls) == 3  # the first try and max_retries=2
    assert caught.value.retry_after == 0.0
    assert caught.value.to_dict()["truto_is_remote_error"] is True


def test_a_create_is_not_retried_on_5xx() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(502, headers={"Retry-After": "0"}, text="bad gateway")

    uf, acct = client(handler)
    with pytest.raises(ProviderServerError):
        uf.crm.projects.create(
            {"name": "P", "account": {"id": RECORD["companyId"]}}, integrated_account_id=acct
        )
    # The record may exist: never sent twice (only looked for, by its idempotency marker).
    assert [c.method for c in calls].count("POST") == 1


def test_a_read_timeout_is_a_typed_connection_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    uf, acct = client(handler)
    with pytest.raises(ProviderConnectionError) as caught:
        uf.crm.projects.get(PID, integrated_account_id=acct)
    assert caught.value.status_code == 502
    assert "tok-123" not in str(caught.value.to_dict())


def test_auth_error_keeps_the_provider_body_but_not_the_credentials() -> None:
    uf, acct = client(lambda request: httpx.Response(401, text="Invalid token"))
    with pytest.raises(ProviderAuthError) as caught:
        uf.crm.projects.get(PID, integrated_account_id=acct)
    body = caught.value.to_dict()
    assert body["raw_response"] == "Invalid token" and body["statusCode"] == 401
    assert "tok-123" not in repr(caught.value) + str(body)


async def test_async_driver_retries_too() -> None:
    answers = [httpx.Response(503, headers={"Retry-After": "0"}), httpx.Response(200, json=RECORD)]
    transport = httpx.MockTransport(lambda request: answers.pop(0))
    async with AsyncUnifold(
        store=":memory:", http_client=httpx.AsyncClient(transport=transport)
    ) as uf:
        acct = uf.accounts.create("planhat", {"token": "t"}, base_url=BASE)
        project = await uf.crm.projects.get(PID, integrated_account_id=acct.id)
    assert project.id == PID and answers == []


def test_connect_timeouts_are_retried_as_unsent() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) < 3:
            raise httpx.ConnectTimeout("no connection", request=request)
        return httpx.Response(200, json=RECORD)

    uf, acct = client(handler)
    assert uf.crm.projects.get(PID, integrated_account_id=acct).id == PID
    assert len(calls) == 3


def test_a_list_page_skips_a_record_without_id_and_says_so() -> None:
    uf, acct = client(lambda request: httpx.Response(200, json=[RECORD, {"name": "no id"}]))
    page = uf.crm.projects.list(integrated_account_id=acct, limit=5)
    assert [p.id for p in page.result] == [PID]
    assert page.warnings and "skipped 1 record" in page.warnings[0]


def test_a_stream_that_breaks_off_raises_a_typed_error() -> None:
    class Broken(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield b'{"_id": '
            raise httpx.ReadError("connection reset")

    uf, acct = client(lambda request: httpx.Response(200, stream=Broken()))
    with uf.crm.projects.get(PID, integrated_account_id=acct, response_format="stream") as stream:
        with pytest.raises(ProviderConnectionError, match="broke off"):
            b"".join(stream.iter_bytes())
