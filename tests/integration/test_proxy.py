"""`uf.proxy.request`: raw calls to the account's provider, and paths that cannot escape it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import INTEGRATIONS, Sandbox, list_call
from unifold import InvalidParameterError, ProviderNotFoundError

# A plain read on each provider: its list call, as the matrix declares it. Teamleader's API is
# RPC-style: every operation, reads included, is a POST with a JSON body.
READS = {name: list_call(name) for name in INTEGRATIONS}
assert READS["teamleader"] == ("POST", "/projects-v2/projects.list", "data")

TRICKY_PATHS: list[Any] = [
    "https://evil.example/x",
    "http://evil.example",
    "//evil.example/kases",
    "///evil.example",
    "evil.example/kases",
    "kases",
    "",
    "/../x",
    "/kases/../../x",
    "/./kases",
    "/kases/./12",
    "/.../x",
    "/kases/..;/x",
    "/%2e%2e/x",
    "/kases/%2E%2E/%2E%2E/x",
    "/kases%2f..%2fx",
    "/%252e%252e/x",
    "/kases/.%2e/x",
    "/..%00/x",
    "/kases\\..\\x",
    "\\\\evil.example\\x",
    "/\\evil.example",
    "/kases?page=2",
    "/kases#top",
    "/kases//12",
    "/ka ses",
    "/kases\n",
    "/kases\r\nHost: evil.example",
    "/kases\x00",
    "/kases\t",
    "/kases/\u2025/x",  # two-dot leader
    "/\uff45vil",  # fullwidth letter
    "/" + "a" * 3000,
    None,
    123,
    b"/kases",
]


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_proxy_plain_read_returns_the_providers_answer(make_sandbox: Any, integration: str) -> None:
    box: Sandbox = make_sandbox(integration)
    method, path, envelope = READS[integration]
    answer = box.client.crm.projects.list(
        integrated_account_id=box.account.id, response_format="raw"
    )
    box.received.clear()
    response = box.client.proxy.request(
        method, path, integrated_account_id=box.account.id, json={} if method == "POST" else None
    )
    assert response.status_code == 200
    records = response.body[envelope] if envelope else response.body
    assert isinstance(records, list) and len(records) == 3
    # Untransformed: the provider's own records under its own keys, as list(raw) sees them.
    key = {"insightly": "PROJECT_ID", "planhat": "_id"}.get(integration, "id")
    raw = answer[envelope] if envelope else answer
    assert [r[key] for r in records] == [r[key] for r in raw]
    assert "remote_data" not in records[0]
    sent = box.received[-1]
    assert (sent.method, sent.path.endswith(path)) == (method, True)


def test_proxy_params_and_json_go_as_given(capsule: Sandbox, teamleader: Sandbox) -> None:
    response = capsule.client.proxy.request(
        "get", "/kases", integrated_account_id=capsule.account.id, params={"perPage": 1}
    )
    assert len(response.body["kases"]) == 1
    assert ("perPage", "1") in capsule.received[-1].query
    assert "link" in {k.lower() for k in response.headers}  # the provider's headers too
    teamleader.client.proxy.request(
        "POST",
        "/projects-v2/projects.list",
        integrated_account_id=teamleader.account.id,
        json={"page": {"size": 1, "number": 1}},
    )
    assert teamleader.received[-1].json == {"page": {"size": 1, "number": 1}}


def test_proxy_provider_errors_are_typed(capsule: Sandbox) -> None:
    with pytest.raises(ProviderNotFoundError) as caught:
        capsule.client.proxy.request(
            "GET", "/kases/999999", integrated_account_id=capsule.account.id
        )
    assert caught.value.integration == "capsule"


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_proxy_refuses_every_tricky_path_before_sending(
    make_sandbox: Any, integration: str
) -> None:
    box: Sandbox = make_sandbox(integration)
    assert len(TRICKY_PATHS) >= 20
    for path in TRICKY_PATHS:
        with pytest.raises(InvalidParameterError) as caught:
            box.client.proxy.request("GET", path, integrated_account_id=box.account.id)
        assert caught.value.field == "path", path
        assert caught.value.integration == integration
    assert box.received == []


def test_proxy_refuses_other_methods_and_params(capsule: Sandbox) -> None:
    proxy = capsule.client.proxy
    acct = capsule.account.id
    for method in ("TRACE", "CONNECT", "OPTIONS", "", None):
        with pytest.raises(InvalidParameterError, match="method"):
            proxy.request(method, "/kases", integrated_account_id=acct)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="params"):
        proxy.request("GET", "/kases", integrated_account_id=acct, params=[("a", "b")])  # type: ignore[arg-type]
    assert capsule.received == []


async def test_async_proxy(make_async_sandbox: Any) -> None:
    box = make_async_sandbox("planhat")
    response = await box.client.proxy.request(
        "GET", "/projects", integrated_account_id=box.account.id, params={"limit": 2}
    )
    assert response.status_code == 200 and len(response.body) == 2
    with pytest.raises(InvalidParameterError):
        await box.client.proxy.request("GET", "/../x", integrated_account_id=box.account.id)
