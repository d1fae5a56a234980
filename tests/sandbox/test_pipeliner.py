from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from unifold.sandbox import SEED_PROJECT_IDS, SEED_REFERENCES, SandboxProvider

from .conftest import ClientFactory

BASE = "/api/v100/rest/spaces/test_space-1"
PROJECT = SEED_PROJECT_IDS["pipeliner"][0]
URL = f"{BASE}/entities/Projects/{PROJECT}"
REFS = SEED_REFERENCES["pipeliner"]


@pytest.fixture
def pipeliner(make_client: ClientFactory) -> tuple[SandboxProvider, httpx.Client]:
    return make_client("pipeliner")


def test_auth_rejected(make_client: ClientFactory) -> None:
    _, client = make_client("pipeliner", auth=False)
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_get(pipeliner: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = pipeliner
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    project = body["data"]
    assert project["id"] == PROJECT and project["formatted_name"] == project["name"]
    assert project["owner"] == f"http://sandbox.test{BASE}/entities/Clients/{REFS['clients'][0]}"
    assert project["primary_contact"].endswith(f"/entities/Contacts/{REFS['contacts'][0]}")
    assert len(project["contact_relations"]) == 2
    assert project["status"] == 2 and project["revision"] == 17
    assert project["created"] == "2024-01-01 09:30:00.000000+00:00"
    assert project["cf_region"] == "EMEA"
    assert set(project["revenue_goal"]) == {"base_value", "currency_id", "value_foreign"}
    for project_id in SEED_PROJECT_IDS["pipeliner"]:
        assert client.get(f"{BASE}/entities/Projects/{project_id}").status_code == 200
    # No rate-limit headers are documented for Pipeliner.
    assert not any(h.lower().startswith("x-ratelimit") for h in response.headers)


def test_space_ids(pipeliner: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = pipeliner
    other = client.get(f"/api/v100/rest/spaces/nv3_Other/entities/Projects/{PROJECT}")
    assert other.json()["data"]["owner"].startswith(
        "http://sandbox.test/api/v100/rest/spaces/nv3_Other/"
    )
    bad = client.get(f"/api/v100/rest/spaces/{'x' * 65}/entities/Projects/{PROJECT}")
    assert bad.status_code == 404


def test_partial_update(pipeliner: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = pipeliner
    provider.clock = lambda: 1_800_000_000.0
    response = client.patch(
        URL, json={"name": "Renamed", "description": None, "account_id": None, "cf_region": "APAC"}
    )
    assert response.status_code == 200
    project = response.json()["data"]
    assert project["name"] == "Renamed" and project["formatted_name"] == "Renamed"
    assert project["description"] is None and project["account"] is None
    assert project["account_id"] is None
    assert project["end_date"] == "2024-06-30"  # omitted stays
    assert project["cf_region"] == "APAC" and project["cf_budget_code"] == "WEB-24"
    assert project["revision"] == 18
    assert project["modified"] == "2027-01-15 08:00:00.000000+00:00"
    contacts = client.patch(
        URL, json={"contact_relations": [{"contact_id": REFS["contacts"][2], "is_primary": True}]}
    ).json()["data"]
    assert contacts["primary_contact"].endswith(REFS["contacts"][2])
    assert len(contacts["contact_relations"]) == 1
    money = {"base_value": 5, "currency_id": REFS["currencies"][1], "value_foreign": 6}
    goal = client.patch(URL, json={"revenue_goal": money}).json()["data"]["revenue_goal"]
    assert goal == {"base_value": 5.0, "currency_id": REFS["currencies"][1], "value_foreign": 6.0}


def field_errors(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["name"] == "ERROR_ENTITY_VALIDATION" and body["code"] == 40000
    assert body["http_status"] == 422 and body["success"] is False
    assert body["entity_name"] == "Project"
    assert body["entity_errors"] == [] and body["step_checklist_errors"] == []
    result = {}
    for item in body["field_errors"]:
        assert item["name"] == "ERROR_FIELD_VALIDATION" and item["code"] == 40002
        assert all(e["field_name"] == item["field_name"] for e in item["errors"])
        result[item["field_name"]] = [e["name"] for e in item["errors"]]
    return result


def test_relation_errors(pipeliner: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = pipeliner
    unknown = str(uuid.UUID(int=7))
    response = client.patch(URL, json={"owner_id": unknown})
    assert field_errors(response) == {"owner_id": ["ERROR_RELATIONS_DOESNT_EXIST"]}
    body = response.json()
    assert body["entity_id"] == PROJECT
    message = f"[owner_id] Relation Project.owner_id={unknown} to Client doesn't exist!"
    assert body["message"] == "\n" + message
    error = body["field_errors"][0]["errors"][0]
    assert error == {
        "code": 120,
        "name": "ERROR_RELATIONS_DOESNT_EXIST",
        "message": message,
        "field_id": body["field_errors"][0]["field_id"],
        "field_name": "owner_id",
    }
    assert field_errors(client.patch(URL, json={"account_id": unknown})) == {
        "account_id": ["ERROR_RELATIONS_DOESNT_EXIST"]
    }
    assert client.get(URL).json()["data"]["owner_id"] == REFS["clients"][0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"status": 4}, "status"),
        ({"formatted_name": "x"}, "formatted_name"),
        ({"name": None}, "name"),
        ({"end_date": "30/06/2024"}, "end_date"),
        ({"start_date": "2024-07-01"}, "end_date"),  # end before start
        ({"share_mode": 9}, "share_mode"),
        ({"revenue_goal": {"base_value": 1}}, "revenue_goal"),
        ({"owner_id": None}, "owner_id"),
    ],
)
def test_invalid_fields(
    pipeliner: tuple[SandboxProvider, httpx.Client], change: dict[str, Any], field: str
) -> None:
    _, client = pipeliner
    assert field in field_errors(client.patch(URL, json=change))


def test_not_found(pipeliner: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = pipeliner
    for ident in ("not-a-uuid", str(uuid.UUID(int=1))):
        response = client.get(f"{BASE}/entities/Projects/{ident}")
        assert response.status_code == 404
        body = response.json()
        assert body["success"] is False and body["http_status"] == 404
        assert body["name"] == "ERROR_ENTITY_NOT_FOUND" and "code" in body and body["message"]
    assert client.patch(f"{BASE}/entities/Projects/nope", json={}).status_code == 404
    assert client.get(f"{BASE}/entities/Nothing").status_code == 404
    assert client.put(URL, json={}).status_code == 405


def test_list_pagination(pipeliner: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = pipeliner
    first = client.get(f"{BASE}/entities/Projects", params={"first": 2}).json()
    assert first["success"] is True and first["total"] == 3
    assert [p["id"] for p in first["data"]] == list(SEED_PROJECT_IDS["pipeliner"][:2])
    info = first["page_info"]
    assert info["has_next_page"] is True and info["has_previous_page"] is False
    rest = client.get(
        f"{BASE}/entities/Projects", params={"first": 2, "after": info["end_cursor"]}
    ).json()
    assert [p["id"] for p in rest["data"]] == [SEED_PROJECT_IDS["pipeliner"][2]]
    assert rest["page_info"]["has_next_page"] is False
    assert rest["page_info"]["has_previous_page"] is True
    bad = client.get(f"{BASE}/entities/Projects", params={"after": "%%%"})
    assert bad.status_code == 400
    assert client.get(f"{BASE}/entities/Projects", params={"first": 101}).status_code == 400


def test_create_and_delete(pipeliner: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = pipeliner
    missing = client.post(f"{BASE}/entities/Projects", json={"name": "x"})
    assert set(field_errors(missing)) == {"end_date", "owner_id", "revenue_goal"}
    body = {
        "name": "New",
        "end_date": "2025-01-01",
        "owner_id": REFS["clients"][1],
        "revenue_goal": {"base_value": 1, "currency_id": REFS["currencies"][0], "value_foreign": 1},
    }
    created = client.post(f"{BASE}/entities/Projects", json=body)
    assert created.status_code in (200, 201)
    project = created.json()["data"]
    assert project["owner_id"] == REFS["clients"][1] and project["revision"] == 1
    url = f"{BASE}/entities/Projects/{project['id']}"
    deleted = client.delete(url)
    assert deleted.json() == {"success": True, "data": project["id"]}
    assert client.get(url).status_code == 404
    listed = client.get(f"{BASE}/entities/Projects", params={"include-deleted": "true"}).json()
    assert listed["total"] == 4


def test_put_project_helper(pipeliner: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = pipeliner
    new_id = provider.put_project({"name": "Bench", "cf_x": 1})
    project = client.get(f"{BASE}/entities/Projects/{new_id}").json()["data"]
    assert project["name"] == "Bench" and project["cf_x"] == 1


def test_filter_and_filter_op_on_modified(pipeliner: tuple[SandboxProvider, httpx.Client]) -> None:
    # filter[<field>] + filter-op[<field>] (Pipeliner spec v100, GET /entities/Projects).
    provider, client = pipeliner
    record = provider._projects[PROJECT]  # type: ignore[attr-defined]
    record["modified"] = "2030-01-01 12:00:00.500000+00:00"

    def ids(**params: str) -> list[str]:
        response = client.get(f"{BASE}/entities/Projects", params=params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["data"]]

    after = {"filter[modified]": "2030-01-01 12:00:00"}
    assert ids(**after, **{"filter-op[modified]": "gt"}) == [PROJECT]
    assert PROJECT not in ids(**after, **{"filter-op[modified]": "lt"})
    assert ids(**{"filter[modified]": "2030-01-01 12:00:00.5+00:00"}) == [PROJECT]  # eq
    bad = client.get(
        f"{BASE}/entities/Projects",
        params={"filter[modified]": "yesterday", "filter-op[modified]": "gt"},
    )
    assert bad.status_code == 400
