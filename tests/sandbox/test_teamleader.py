from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from unifold.sandbox import SEED_PROJECT_IDS, SEED_REFERENCES, SandboxProvider

from .conftest import ClientFactory

PROJECT = SEED_PROJECT_IDS["teamleader"][0]
REFS = SEED_REFERENCES["teamleader"]


@pytest.fixture
def teamleader(make_client: ClientFactory) -> tuple[SandboxProvider, httpx.Client]:
    return make_client("teamleader")


def call(client: httpx.Client, action: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"/projects-v2/projects.{action}", json=body)


def info(client: httpx.Client, project_id: str = PROJECT) -> dict[str, Any]:
    response = call(client, "info", {"id": project_id})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def error_400(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["status"] == 400
    title: str = error["title"]
    return title


def test_auth_rejected(make_client: ClientFactory) -> None:
    _, client = make_client("teamleader", auth=False)
    response = call(client, "info", {"id": PROJECT})
    assert response.status_code == 401
    assert response.json()["errors"][0]["status"] == 401


def test_info(teamleader: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = teamleader
    data = info(client)
    assert data["title"] == "Website rebuild" and data["status"] == "open"
    assert data["owners"] == [{"type": "user", "id": REFS["users"][0]}]
    assert data["custom_fields"][0]["definition"]["type"] == "customFieldDefinition"
    assert data["external_budget"] == {"amount": 12000, "currency": "EUR"}
    assert "legacy_project" not in data and "time_estimated" not in data
    with_legacy = call(client, "info", {"id": PROJECT, "includes": "legacy_project"}).json()
    assert with_legacy["data"]["legacy_project"] is None
    for project_id in SEED_PROJECT_IDS["teamleader"]:
        info(client, project_id)
    missing = call(client, "info", {"id": "00000000-0000-0000-0000-000000000000"})
    assert missing.status_code == 404 and missing.json()["errors"][0]["status"] == 404
    assert error_400(call(client, "info", {})) == "id is required"


def test_partial_update(teamleader: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = teamleader
    cf = REFS["custom_field_definitions"]
    body = {
        "id": PROJECT,
        "title": "Renamed",
        "description": None,
        "end_date": None,
        "internal_budget": None,
        "time_budget": {"value": 2, "unit": "hours"},
        "custom_fields": [{"id": cf[1], "value": 7}, {"id": cf[3], "value": ["Build"]}],
        "typo_field": "ignored",
    }
    response = call(client, "update", body)
    assert response.status_code == 204 and response.content == b""
    data = info(client)
    assert data["title"] == "Renamed"
    assert data["description"] is None and data["end_date"] is None  # null clears
    assert data["internal_budget"] is None
    assert data["start_date"] == "2024-01-15"  # omitted stays
    assert data["purchase_order_number"] == "PO-7"
    assert data["time_budget"] == {"value": 7200, "unit": "seconds"}
    values = {cf_["definition"]["id"]: cf_["value"] for cf_ in data["custom_fields"]}
    assert values == {cf[0]: "PO-7", cf[1]: 7, cf[3]: ["Build"]}  # merged partially
    call(client, "update", {"id": PROJECT, "custom_fields": [{"id": cf[0], "value": None}]})
    assert cf[0] not in {c["definition"]["id"] for c in info(client)["custom_fields"]}


@pytest.mark.parametrize(
    "change",
    [
        {"title": None},
        {"title": ""},
        {"start_date": "2024-07-01"},  # after end_date
        {"end_date": "31-12-2024"},
        {"color": "#FFFFFF"},
        {"external_budget": {"amount": 10, "currency": "USD"}},
        {"external_budget": {"amount": -1, "currency": "EUR"}},
        {"fixed_price": {"amount": 10, "currency": "EUR"}},  # project is time_and_materials
        {"billing_method": {"value": "non_billable", "update_strategy": "none"}},
        {"company_entity_id": "missing"},
        {"custom_fields": [{"id": "missing", "value": 1}]},
        {"custom_fields": [{"id": REFS["custom_field_definitions"][1], "value": "seven"}]},
    ],
)
def test_update_validation(
    teamleader: tuple[SandboxProvider, httpx.Client], change: dict[str, Any]
) -> None:
    _, client = teamleader
    error_400(call(client, "update", {"id": PROJECT, **change}))
    assert info(client)["title"] == "Website rebuild"


def test_update_unknown_project(teamleader: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = teamleader
    response = call(client, "update", {"id": "nope", "title": "x"})
    assert response.status_code == 404


def test_links_add_remove(teamleader: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = teamleader
    contact = {"type": "contact", "id": REFS["contacts"][1]}
    for _ in range(2):  # idempotent
        assert call(client, "addCustomer", {"id": PROJECT, "customer": contact}).status_code == 204
        assert (
            call(client, "addOwner", {"id": PROJECT, "user_id": REFS["users"][2]}).status_code
            == 204
        )
        assert (
            call(client, "addDeal", {"id": PROJECT, "deal_id": REFS["deals"][1]}).status_code == 204
        )
    data = info(client)
    assert data["customers"][-1] == contact and len(data["customers"]) == 2
    assert {"type": "user", "id": REFS["users"][2]} in data["owners"] and len(data["owners"]) == 2
    assert data["deals"] == [
        {"type": "deal", "id": REFS["deals"][0]},
        {"type": "deal", "id": REFS["deals"][1]},
    ]
    for _ in range(2):
        assert (
            call(client, "removeCustomer", {"id": PROJECT, "customer": contact}).status_code == 204
        )
        assert (
            call(client, "removeOwner", {"id": PROJECT, "user_id": REFS["users"][2]}).status_code
            == 204
        )
        assert (
            call(client, "removeDeal", {"id": PROJECT, "deal_id": REFS["deals"][0]}).status_code
            == 204
        )
    data = info(client)
    assert len(data["customers"]) == 1 and len(data["owners"]) == 1
    assert data["deals"] == [{"type": "deal", "id": REFS["deals"][1]}]
    assignee = {"type": "team", "id": REFS["teams"][0]}
    assert call(client, "assign", {"id": PROJECT, "assignee": assignee}).status_code == 204
    assert info(client)["assignees"][-1] == {"assignee": assignee, "assign_type": "manual"}


def test_links_unknown_references(teamleader: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = teamleader
    ghost = "99999999-0000-4000-8000-000000000000"
    error_400(
        call(client, "addCustomer", {"id": PROJECT, "customer": {"type": "company", "id": ghost}})
    )
    error_400(
        call(client, "addCustomer", {"id": PROJECT, "customer": {"type": "deal", "id": ghost}})
    )
    error_400(
        call(
            client, "removeCustomer", {"id": PROJECT, "customer": {"type": "contact", "id": ghost}}
        )
    )
    error_400(call(client, "addOwner", {"id": PROJECT, "user_id": ghost}))
    error_400(call(client, "removeOwner", {"id": PROJECT, "user_id": ghost}))
    error_400(call(client, "addDeal", {"id": PROJECT, "deal_id": ghost}))
    error_400(call(client, "removeDeal", {"id": PROJECT, "deal_id": ghost}))
    error_400(call(client, "addOwner", {"id": PROJECT}))
    missing_project = call(client, "addDeal", {"id": ghost, "deal_id": REFS["deals"][0]})
    assert missing_project.status_code == 404


def test_list(teamleader: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = teamleader
    data = call(client, "list", {}).json()["data"]
    assert [p["project_key"] for p in data] == [3, 2, 1]  # default sort project_key desc
    assert "custom_fields" not in data[0] and "purchase_order_number" not in data[0]
    assert "time_estimated" in data[0]
    body = {
        "filter": {"status": "open"},
        "page": {"size": 1, "number": 2},
        "sort": [{"field": "title", "order": "asc"}],
        "includes": "custom_fields,pagination",
    }
    page = call(client, "list", body).json()
    assert [p["title"] for p in page["data"]] == ["Website rebuild"]
    assert "custom_fields" in page["data"][0]
    assert page["meta"] == {"page": {"size": 1, "number": 2}, "matches": 2}
    by_ids = call(client, "list", {"filter": {"ids": [PROJECT]}}).json()["data"]
    assert [p["id"] for p in by_ids] == [PROJECT]
    customers = [{"type": "contact", "id": REFS["contacts"][0]}]
    by_customer = call(client, "list", {"filter": {"customers": customers}}).json()["data"]
    assert [p["project_key"] for p in by_customer] == [3]


def test_create_close_reopen_delete(teamleader: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = teamleader
    error_400(call(client, "create", {"description": "no title"}))
    created = call(
        client,
        "create",
        {
            "title": "New",
            "owner_ids": [REFS["users"][1]],
            "customers": [{"type": "company", "id": REFS["companies"][1]}],
            "deal_ids": [REFS["deals"][0]],
            "start_date": "2025-01-01",
        },
    )
    assert created.status_code == 201
    ref = created.json()["data"]
    assert ref["type"] == "nextgenProject"
    data = info(client, ref["id"])
    assert data["project_key"] == 4 and len(data["owners"]) == 2
    assert data["customers"] == [{"type": "company", "id": REFS["companies"][1]}]
    error_400(call(client, "close", {"id": ref["id"]}))
    closing = {"id": ref["id"], "closing_strategy": "none"}
    assert call(client, "close", closing).status_code == 204
    assert info(client, ref["id"])["status"] == "closed"
    assert call(client, "reopen", {"id": ref["id"]}).status_code == 204
    assert info(client, ref["id"])["status"] == "open"
    error_400(call(client, "delete", {"id": ref["id"]}))
    strategy = {"id": ref["id"], "delete_strategy": "unlink_tasks_and_time_trackings"}
    assert call(client, "delete", strategy).status_code == 204
    assert call(client, "info", {"id": ref["id"]}).status_code == 404


def test_headers_and_routes(teamleader: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = teamleader
    first = call(client, "list", {})
    second = call(client, "list", {})
    assert first.headers["X-RateLimit-Limit"] == "200"
    assert int(second.headers["X-RateLimit-Remaining"]) == (
        int(first.headers["X-RateLimit-Remaining"]) - 1
    )
    reset = datetime.fromisoformat(first.headers["X-RateLimit-Reset"])
    assert reset.tzinfo is not None
    unknown = call(client, "explode", {})
    assert unknown.status_code == 404 and "errors" in unknown.json()
    wrong = client.get("/projects-v2/projects.info")
    assert wrong.status_code == 405 and "errors" in wrong.json()


def test_put_project_helper(teamleader: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = teamleader
    new_id = provider.put_project({"title": "Bench", "status": "closed"})
    assert info(client, new_id)["status"] == "closed"
