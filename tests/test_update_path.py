"""What the update path does once instead of per call (issue 8), and that each shortcut keeps
its guarantee: the account's own in-flight bound in threads, the provider error built only for
the answer given up on, secrets that follow a refreshed token."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.test_concurrency import BASE, PID, RECORD, Gauge
from unifold import ProviderServerError, Unifold
from unifold._engine.http import Endpoint


@pytest.fixture(autouse=True)
def _unpaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("unifold._client.budgets_of", lambda provider: ())


def test_threads_keep_an_account_s_own_bound_under_the_client_s() -> None:
    gauge = Gauge()

    def handler(request: httpx.Request) -> httpx.Response:
        gauge.enter()
        time.sleep(0.005)
        gauge.leave()
        return httpx.Response(200, json=RECORD)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with Unifold(
        store=":memory:", http_client=http, max_concurrency=6, max_concurrency_per_account=2
    ) as uf:
        accounts = [uf.accounts.create("planhat", {"token": "t"}, base_url=BASE) for _ in range(4)]

        def burst(account_ids: list[str]) -> int:
            gauge.peak = 0

            def calls(account_id: str) -> None:
                for _ in range(4):
                    uf.crm.projects.get(PID, integrated_account_id=account_id)

            threads = [threading.Thread(target=calls, args=(a,)) for a in account_ids * 6]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return gauge.peak

        assert burst([accounts[0].id]) == 2  # one account: its own bound
        assert burst([a.id for a in accounts]) == 6  # four accounts: the client's


def test_the_error_is_built_only_for_the_answer_given_up_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = []
    real = Endpoint.error

    def counting(self: Endpoint, req: object, resp: object) -> object:
        built.append(resp)
        return real(self, req, resp)  # type: ignore[arg-type]

    monkeypatch.setattr(Endpoint, "error", counting)
    answers = iter([503, 503, 503])
    http = httpx.Client(
        transport=httpx.MockTransport(
            lambda r: httpx.Response(next(answers), headers={"Retry-After": "0"}, text="busy")
        )
    )
    with Unifold(store=":memory:", http_client=http, max_retries=2) as uf:
        account = uf.accounts.create("planhat", {"token": "t"}, base_url=BASE)
        with pytest.raises(ProviderServerError):
            uf.crm.projects.get(PID, integrated_account_id=account.id)
    assert len(built) == 1


class _Rotating:
    """An OAuth-like header that changes when the token is refreshed."""

    def __init__(self) -> None:
        self.token = "first-token"

    def header(self) -> str:
        return f"Bearer {self.token}"


def test_secrets_follow_the_current_token() -> None:
    auth = _Rotating()
    endpoint = Endpoint("planhat", BASE, auth, None, ("client-secret",))  # type: ignore[arg-type]
    assert endpoint.secrets == ("client-secret", "first-token")
    auth.token = "the-refreshed-token"
    assert endpoint.secrets == ("the-refreshed-token", "client-secret")
