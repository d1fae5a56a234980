"""Arbitrary query strings and JSON bodies: always an answer in Truto's error body or a
success, never a 5xx (the spec-driven run is test_openapi.py; this one leaves the spec)."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server.conftest import Server, new_account

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
PIECES = st.sampled_from(list("[]=&%;+ ,.0123456789abfx_-") + ["%5B", "%5D", "%00", "%ff"])
NAMES = st.sampled_from(
    ["remote_query", "truto_exclude_fields", "truto_response_format", "limit", "next_cursor",
     "truto_ignore_remote_data", "integrated_account_id", "x"]
)  # fmt: skip
QUERY = st.lists(
    st.tuples(NAMES, st.lists(PIECES, max_size=12).map("".join)).map("".join), max_size=6
).map("&".join)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
ACCOUNT_BODY = st.fixed_dictionaries(
    {},
    optional={
        "integration": st.sampled_from(["capsule", "teamleader", "nope"]) | JSON,
        "environment": st.sampled_from(["sandbox", "production"]) | JSON,
        "credentials": JSON,
        "params": JSON,
    },
)


def _no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["statusCode"] == response.status_code and body["message"], body


def test_any_query_string(server: Server) -> None:
    with server.client("acme") as acme:
        account = new_account(acme, "pipeliner")

        @SETTINGS
        @given(query=QUERY, real=st.booleans())
        def run(query: str, real: bool) -> None:
            prefix = f"integrated_account_id={account}&" if real else ""
            _no_server_error(acme.get(f"/unified/crm/projects?{prefix}{query}"))
            _no_server_error(acme.patch(f"/unified/crm/projects/x?{prefix}{query}", json={}))

        run()


def test_any_account_body(server: Server) -> None:
    with server.client("acme") as acme:
        account = new_account(acme, "capsule")

        @SETTINGS
        @given(body=ACCOUNT_BODY)
        def run(body: dict[str, object]) -> None:
            content = json.dumps(body).encode()
            _no_server_error(acme.post("/integrated-account", content=content))
            _no_server_error(acme.patch(f"/integrated-account/{account}", content=content))

        run()
