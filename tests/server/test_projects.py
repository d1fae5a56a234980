"""The unified API over real HTTP, on each integration's sandbox, as a Truto client calls it."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.server.conftest import INTEGRATIONS, Server, new_account
from unifold.sandbox import SEED_PROJECT_IDS

PROJECT = {name: SEED_PROJECT_IDS[name][0] for name in INTEGRATIONS}


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_truto_style_patch_updates_the_project(
    server: Server, acme: httpx.Client, integration: str
) -> None:
    account = new_account(acme, integration)
    pid = PROJECT[integration]
    # Exactly as a Truto client encodes it: brackets in the query, a JSON body.
    response = acme.patch(
        f"/unified/crm/projects/{pid}?integrated_account_id={account}&truto_exclude_fields[]=name",
        content=b'{"name":"Relaunch"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == pid and "name" not in body
    assert isinstance(body["remote_data"], dict)
    # The provider got the write, and reading it back shows the new name.
    writes = [r for r in server.sandbox(account).received if r.method in ("PUT", "PATCH", "POST")]
    assert writes, "no write reached the provider"
    got = acme.get(f"/unified/crm/projects/{pid}", params={"integrated_account_id": account})
    assert got.status_code == 200 and got.json()["name"] == "Relaunch"


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_shaping_parameters(acme: httpx.Client, integration: str) -> None:
    account = new_account(acme, integration)
    pid = PROJECT[integration]
    url = f"/unified/crm/projects/{pid}"
    base = f"integrated_account_id={account}"
    full = acme.get(f"{url}?{base}").json()
    assert "remote_data" in full and "name" in full

    ignored = acme.get(f"{url}?{base}&truto_ignore_remote_data=true").json()
    assert "remote_data" not in ignored and ignored["name"] == full["name"]
    kept = acme.get(f"{url}?{base}&truto_ignore_remote_data=false").json()
    assert "remote_data" in kept

    excluded = acme.get(f"{url}?{base}&truto_exclude_fields[]=id&truto_exclude_fields[]=name")
    assert excluded.status_code == 200
    assert "id" not in excluded.json() and "name" not in excluded.json()
    # qs's default array encoding (indices) means the same.
    indexed = acme.get(f"{url}?{base}&truto_exclude_fields[0]=name&truto_exclude_fields[1]=id")
    assert indexed.json() == excluded.json()

    normalized = acme.get(f"{url}?{base}&truto_response_format=normalized").json()
    assert "remote_data" not in normalized and normalized["id"] == pid
    assert all(value is not None for value in normalized.values())

    raw = acme.get(f"{url}?{base}&truto_response_format=raw").json()
    assert raw == full["remote_data"] or json.dumps(full["remote_data"]) in json.dumps(raw)


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_stream_passes_the_provider_bytes(acme: httpx.Client, integration: str) -> None:
    account = new_account(acme, integration)
    url = f"/unified/crm/projects/{PROJECT[integration]}"
    params = {"integrated_account_id": account}
    raw = acme.get(url, params={**params, "truto_response_format": "raw"})
    with acme.stream("GET", url, params={**params, "truto_response_format": "stream"}) as r:
        assert r.status_code == 200
        streamed = b"".join(r.iter_bytes())
    assert json.loads(streamed) == raw.json()


def test_remote_query_nested_brackets_reach_the_provider(
    server: Server, acme: httpx.Client
) -> None:
    account = new_account(acme, "planhat")
    pid = PROJECT["planhat"]
    response = acme.get(
        f"/unified/crm/projects/{pid}?integrated_account_id={account}"
        "&remote_query[filter][name]=x&remote_query[filter][owner][id]=7"
        "&remote_query[ids][]=1&remote_query[ids][]=b&remote_query[dry_run]=true"
    )
    assert response.status_code == 200, response.text
    sent = server.sandbox(account).received[-1]
    assert sent.query == (
        ("filter[name]", "x"),
        ("filter[owner][id]", "7"),
        ("ids[]", "1"),
        ("ids[]", "b"),
        ("dry_run", "true"),
    )


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_list_envelope_and_paging(acme: httpx.Client, integration: str) -> None:
    account = new_account(acme, integration)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"integrated_account_id": account, "limit": "1"}
        if cursor:
            params["next_cursor"] = cursor
        page = acme.get("/unified/crm/projects", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert set(body) == {"result", "next_cursor", "result_count"}
        assert body["result_count"] == len(body["result"]) <= 1
        seen += [r["id"] for r in body["result"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert set(SEED_PROJECT_IDS[integration]) <= set(seen)
    assert len(seen) == len(set(seen))


def test_create_and_delete(acme: httpx.Client) -> None:
    account = new_account(acme, "planhat")
    from unifold.sandbox import SEED_REFERENCES

    company = SEED_REFERENCES["planhat"]["companies"][0]
    created = acme.post(
        f"/unified/crm/projects?integrated_account_id={account}",
        json={"name": "New", "account": {"id": company}},
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert created.json()["name"] == "New"
    deleted = acme.delete(f"/unified/crm/projects/{pid}?integrated_account_id={account}")
    assert deleted.status_code == 200 and deleted.json() == {"id": pid}
    gone = acme.get(f"/unified/crm/projects/{pid}?integrated_account_id={account}")
    assert gone.status_code == 404
    assert gone.json()["truto_is_remote_error"] is True


def test_validation_error_is_trutos_body(acme: httpx.Client) -> None:
    account = new_account(acme, "teamleader")
    response = acme.patch(
        f"/unified/crm/projects/{PROJECT['teamleader']}?integrated_account_id={account}",
        json={"tags": [{"name": "x"}]},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    assert "tags" in body["message"]
    assert "truto_error_insight" in body


def test_percent_encoded_brackets_as_qs_stringify_sends_them(
    server: Server, acme: httpx.Client
) -> None:
    # qs.stringify (Truto's TypeScript SDK) encodes brackets: a[0]=b is a%5B0%5D=b.
    account = new_account(acme, "planhat")
    pid = PROJECT["planhat"]
    response = acme.get(
        f"/unified/crm/projects/{pid}?integrated_account_id={account}"
        "&truto_exclude_fields%5B0%5D=name&truto_exclude_fields%5B1%5D=id"
        "&remote_query%5Bfilter%5D%5Bname%5D=x%20y"
    )
    assert response.status_code == 200, response.text
    assert "name" not in response.json() and "id" not in response.json()
    assert server.sandbox(account).received[-1].query == (("filter[name]", "x y"),)
