"""remote_query goes to the provider's query string as given; remote_data into the wire body."""

from __future__ import annotations

from typing import Any

import pytest

from unifold import UnifoldValidationError
from unifold.sandbox import SEED_PROJECT_IDS

from .conftest import INTEGRATIONS, RAW_NAME_KEY, SandboxFactory, needs_name, update_request

# The query the matrix itself puts on each provider's update request.
OWN_QUERY = {name: update_request(name).query_pairs for name in INTEGRATIONS}
# Where the matrix puts the first of them for Capsule (checked apart, as a fact).
assert OWN_QUERY["capsule"] == (("embed", "tags,fields,party"),)


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_remote_query_reaches_the_provider_query_string(
    make_sandbox: SandboxFactory, integration: str
) -> None:
    sb = make_sandbox(integration)
    sb.update(
        needs_name(integration, {"name": "Query"}),
        remote_query={
            "filter": {"name": "x", "owner": {"id": 7}},
            "ids": [1, "b"],
            "dry_run": True,
            "page": 2,
        },
    )

    if integration == "teamleader":
        # An RPC-style API: its parameters live in the JSON body, so remote_query goes there.
        sent = sb.main_write()
        assert sent.query == ()
        assert sent.json["filter"] == {"name": "x", "owner": {"id": 7}}
        assert sent.json["ids"] == [1, "b"] and sent.json["dry_run"] is True
        return
    assert sb.main_write().query == OWN_QUERY[integration] + (
        ("filter[name]", "x"),
        ("filter[owner][id]", "7"),
        ("ids[]", "1"),
        ("ids[]", "b"),
        ("dry_run", "true"),
        ("page", "2"),
    )


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_no_remote_query_adds_nothing(make_sandbox: SandboxFactory, integration: str) -> None:
    sb = make_sandbox(integration)
    sb.update(needs_name(integration, {"name": "Query"}))
    assert sb.main_write().query == OWN_QUERY[integration]


# (integration, body, expected main-update provider fields): remote_data is merged as is, after
# the mapped fields, and wins over them.
REMOTE_DATA_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "capsule",
        {"name": "Mapped", "remote_data": {"kase": {"stage": 150, "name": "Raw"}, "top": 1}},
        {"kase": {"name": "Raw", "stage": 150}, "top": 1},
    ),
    (
        "insightly",
        {"name": "Mapped", "remote_data": {"PROJECT_NAME": "Raw", "CATEGORY_ID": 3001}},
        {"PROJECT_NAME": "Raw", "CATEGORY_ID": 3001, "PROJECT_ID": 1657941},
    ),
    (
        "pipeliner",
        {"name": "Mapped", "remote_data": {"name": "Raw", "share_mode": 2}},
        {"name": "Raw", "share_mode": 2},
    ),
    (
        "planhat",
        {"amount": 10, "remote_data": {"mrr": 20, "arr": 240, "custom": {"Phase": "Done"}}},
        {"mrr": 20, "arr": 240, "custom": {"Phase": "Done"}},
    ),
    (
        "teamleader",
        {
            "name": "Mapped",
            "amount": 100,
            "remote_data": {"title": "Raw", "external_budget": {"amount": 200}},
        },
        {
            "id": "a0000000-7e57-4d1e-9a1b-000000000001",
            "title": "Raw",
            "external_budget": {"amount": 200, "currency": "EUR"},
        },
    ),
]


@pytest.mark.parametrize(
    ("integration", "body", "wire"), REMOTE_DATA_CASES, ids=[c[0] for c in REMOTE_DATA_CASES]
)
def test_remote_data_is_merged_into_the_wire_body(
    make_sandbox: SandboxFactory, integration: str, body: dict[str, Any], wire: dict[str, Any]
) -> None:
    sb = make_sandbox(integration)
    project = sb.update(body)

    assert sb.main_write().json == wire
    assert project.remote_data is not None


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_empty_remote_data_changes_nothing(make_sandbox: SandboxFactory, integration: str) -> None:
    sb = make_sandbox(integration)
    sb.update(needs_name(integration, {"name": "Plain", "remote_data": {}}))
    assert sb.main_write().json == sb.wire({RAW_NAME_KEY[integration]: "Plain"})


# Insightly and Teamleader take the project id in the body, where remote_data is merged too.
BODY_ID = [
    ("insightly", "PROJECT_ID", 1),
    ("teamleader", "id", 1),
]


@pytest.mark.parametrize(("integration", "key", "other"), BODY_ID, ids=[c[0] for c in BODY_ID])
def test_remote_data_cannot_send_the_update_to_another_project(
    make_sandbox: SandboxFactory, integration: str, key: str, other: int
) -> None:
    sb = make_sandbox(integration)
    other_id = SEED_PROJECT_IDS[integration][other]
    other_before = sb.get(other_id).name
    redirect = int(other_id) if integration == "insightly" else other_id

    try:
        result = sb.update(
            needs_name(integration, {"name": "Meant for the first project"})
            | {"remote_data": {key: redirect}}
        )
    except UnifoldValidationError:
        assert sb.writes() == []  # refused up front: fine
    else:
        # Sent: then the id the caller addressed must be the one written.
        assert result.id == sb.pid
        assert sb.main_write().json[key] == (int(sb.pid) if integration == "insightly" else sb.pid)
    assert sb.get(other_id).name == other_before
