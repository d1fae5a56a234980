"""Bad input over HTTP is a typed 4xx in Truto's error body: never a 500, never a traceback."""

from __future__ import annotations

import httpx
import pytest

from tests.server.conftest import Server, new_account
from unifold.sandbox import SEED_PROJECT_IDS

PID = SEED_PROJECT_IDS["insightly"][0]


@pytest.fixture(scope="module")
def account(acme: httpx.Client) -> str:
    return new_account(acme, "insightly")


def _typed(response: httpx.Response, status: int, mention: str = "") -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and isinstance(body["error"], str)
    assert "Traceback" not in response.text
    assert mention.lower() in str(body["message"]).lower(), body
    return body


def test_malformed_json(acme: httpx.Client, account: str) -> None:
    url = f"/unified/crm/projects/{PID}?integrated_account_id={account}"
    headers = {"Content-Type": "application/json"}
    _typed(acme.patch(url, content=b'{"name": ', headers=headers), 400, "not valid JSON")
    _typed(acme.patch(url, content=b"\xff\xfe{}", headers=headers), 400, "JSON")
    _typed(acme.patch(url, content=b"", headers=headers), 400, "empty")
    _typed(acme.patch(url, content=b'["name"]', headers=headers), 400, "JSON object")
    _typed(acme.patch(url, content=b"[" * 100_000, headers=headers), 400, "JSON")
    _typed(acme.post("/integrated-account", content=b"{", headers=headers), 400, "JSON")


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data", "application/xml"])
def test_wrong_content_type(acme: httpx.Client, account: str, content_type: str) -> None:
    url = f"/unified/crm/projects/{PID}?integrated_account_id={account}"
    body = _typed(
        acme.patch(url, content=b'{"name": "x"}', headers={"Content-Type": content_type}),
        415,
        "application/json",
    )
    assert body["error"] == "Unsupported Media Type"


def test_ten_megabyte_body(server: Server, acme: httpx.Client, account: str) -> None:
    url = f"/unified/crm/projects/{PID}?integrated_account_id={account}"
    big = b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    _typed(acme.patch(url, content=big, headers={"Content-Type": "application/json"}), 413)

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"name": "'
        for _ in range(10):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    _typed(acme.patch(url, content=chunks(), headers={"Content-Type": "application/json"}), 413)
    assert not [r for r in server.sandbox(account).received if r.method != "GET"]


def test_unknown_routes_and_methods(acme: httpx.Client) -> None:
    _typed(acme.get("/unified/crm/contacts"), 404, "no route")
    _typed(acme.get("/"), 404)
    _typed(acme.put(f"/unified/crm/projects/{PID}", json={}), 405, "not allowed")
    _typed(acme.delete("/integrated-account"), 405)


@pytest.mark.parametrize(
    "query,mention",
    [
        ("remote_query[filter=x", "not well-formed"),
        ("remote_query]x[=1", "not well-formed"),
        ("remote_query[a]b=1", "not well-formed"),
        ("remote_query=x", "must be an object"),
        ("remote_query[a]=1&remote_query[a][b]=2", "both a value and an object"),
        ("remote_query[a][]=1&remote_query[a][b]=2", "mixes"),
        ("remote_query[a][b][c][d][e][f]=1", "deeper"),
        ("truto_ignore_remote_data=yes", "true or false"),
        ("truto_ignore_remote_data[]=true", "plain value"),
        ("truto_response_format=xml", "truto_response_format"),
        ("truto_exclude_fields[a]=id", "list of names"),
        ("truto_exclude_fields[]=nope", "unknown field"),
        ("limit=1", "unknown query parameter"),
        ("unknown=1", "unknown query parameter"),
        ("%ff=1", "UTF-8"),
        ("=1", "not well-formed"),
        ("&integrated_account_id=again", "given once"),
    ],
)
def test_bad_query_encodings(acme: httpx.Client, account: str, query: str, mention: str) -> None:
    url = f"/unified/crm/projects/{PID}?integrated_account_id={account}&{query}"
    body = _typed(acme.patch(url, json={"name": "x"}), 400, mention)
    assert body["error"] == "Bad Request"


@pytest.mark.parametrize(
    "query,mention",
    [
        ("limit=0", "positive integer"),
        ("limit=-1", "positive integer"),
        ("limit=abc", "positive integer"),
        ("limit=%C2%B2", "positive integer"),
        ("next_cursor=garbage", "next_cursor"),
        ("", "integrated_account_id is required"),
    ],
)
def test_bad_list_parameters(acme: httpx.Client, account: str, query: str, mention: str) -> None:
    prefix = (
        ""
        if "integrated_account_id is required" in mention
        else (f"integrated_account_id={account}&")
    )
    _typed(acme.get(f"/unified/crm/projects?{prefix}{query}"), 400, mention)


def test_too_many_parameters(acme: httpx.Client, account: str) -> None:
    query = "&".join(f"remote_query[k{i}]=1" for i in range(1100))
    _typed(acme.get(f"/unified/crm/projects/{PID}?integrated_account_id={account}&{query}"), 400)


def test_bad_ids(acme: httpx.Client, account: str) -> None:
    _typed(acme.get(f"/unified/crm/projects/not-a-number?integrated_account_id={account}"), 400)
    _typed(acme.get("/integrated-account/%00"), 404)
    _typed(acme.delete("/integrated-account/%00"), 404)
    _typed(acme.get(f"/unified/crm/projects/{PID}?integrated_account_id=%00"), 404)


def test_store_failure_is_a_503_without_details(server: Server) -> None:
    from unittest import mock

    from unifold._errors import StoreError

    with server.client("acme") as acme:
        account = new_account(acme, "capsule")
        broken = StoreError("cannot read account in the account store /secret/path: disk I/O")
        with mock.patch.object(server.context.store, "get", side_effect=broken):
            response = acme.get(f"/unified/crm/projects?integrated_account_id={account}")
    body = _typed(response, 503, "unavailable")
    assert set(body) == {"statusCode", "error", "message"}
    assert "/secret/path" not in response.text


def test_store_failure_during_auth_is_a_503(server: Server) -> None:
    from unittest import mock

    from unifold._errors import StoreError

    broken = StoreError("cannot verify an API token in the account store /secret/path")
    with (
        server.client("acme") as acme,
        mock.patch.object(server.context.store, "verify_token", side_effect=broken),
    ):
        response = acme.get("/integrated-account")
    _typed(response, 503, "unavailable")
    assert "/secret/path" not in response.text
