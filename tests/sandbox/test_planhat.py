from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from unifold.sandbox import SEED_PROJECT_IDS, SEED_REFERENCES, SandboxProvider

from .conftest import ClientFactory

PROJECT = SEED_PROJECT_IDS["planhat"][0]
COMPANIES = SEED_REFERENCES["planhat"]["companies"]


@pytest.fixture
def planhat(make_client: ClientFactory) -> tuple[SandboxProvider, httpx.Client]:
    return make_client("planhat")


def test_auth(make_client: ClientFactory) -> None:
    _, client = make_client("planhat", auth=False)
    assert client.get(f"/projects/{PROJECT}").status_code == 401
    basic = "Basic " + base64.b64encode(b"sandbox-planhat-token:").decode()
    assert client.get(f"/projects/{PROJECT}", headers={"Authorization": basic}).status_code == 200


def test_get_by_keys(planhat: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = planhat
    record = client.get(f"/projects/{PROJECT}").json()
    assert record["_id"] == PROJECT and record["companyName"] == "Northwind Traders"
    assert record["createdAt"] == "2024-01-08T09:30:00.000Z" and record["__v"] == 0
    assert client.get("/projects/extid-PRJ-1001").json()["_id"] == PROJECT
    assert client.get("/projects/srcid-src-1001").json()["_id"] == PROJECT
    for project_id in SEED_PROJECT_IDS["planhat"]:
        assert client.get(f"/projects/{project_id}").status_code == 200
    missing = client.get("/projects/extid-nope")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")
    assert client.get("/projects/0123456789abcdef01234567").status_code == 404


def test_partial_update(planhat: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = planhat
    provider.clock = lambda: 1_800_000_000.0
    body = {
        "name": "Renamed",
        "endDate": None,
        "mrr": 1500,
        "custom": {"Phase": "Launch", "Products": None, "New": 1},
        "companyName": "ignored",
    }
    response = client.put(f"/projects/{PROJECT}", json=body)
    assert response.status_code == 200
    record = response.json()
    assert record["name"] == "Renamed" and record["mrr"] == 1500
    assert "endDate" not in record  # null clears
    assert record["arr"] == 12000  # omitted stays
    assert record["custom"] == {"Phase": "Launch", "Days in Phase": 12, "New": 1}
    assert record["companyName"] == "Northwind Traders"
    assert record["updatedAt"] == "2027-01-15T08:00:00.000Z"
    moved = client.put("/projects/extid-PRJ-1001", json={"companyId": "extid-CO-2"}).json()
    assert moved["companyId"] == COMPANIES[1] and moved["companyName"] == "Globex Ltd"
    dated = client.put(f"/projects/{PROJECT}", json={"startDate": "2025-03-01"}).json()
    assert dated["startDate"] == "2025-03-01T00:00:00.000Z"


@pytest.mark.parametrize(
    "change",
    [
        {"companyId": "0123456789abcdef01234567"},
        {"companyId": None},
        {"name": None},
        {"startDate": "soon"},
        {"mrr": "lots"},
        {"custom": ["x"]},
        {"externalId": "PRJ-1003"},  # duplicated keyable
    ],
)
def test_bad_values(planhat: tuple[SandboxProvider, httpx.Client], change: dict[str, Any]) -> None:
    _, client = planhat
    response = client.put(f"/projects/{PROJECT}", json=change)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain") and response.text


def test_list_create_delete(planhat: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = planhat
    page = client.get("/projects", params={"limit": 2, "offset": 1}).json()
    assert [r["_id"] for r in page] == list(SEED_PROJECT_IDS["planhat"][1:3])
    by_company = client.get("/projects", params={"companyId": COMPANIES[1]}).json()
    assert [r["_id"] for r in by_company] == [SEED_PROJECT_IDS["planhat"][1]]
    assert client.get("/projects", params={"limit": "x"}).status_code == 400
    assert client.post("/projects", json={"name": "No company"}).status_code == 400
    created = client.post("/projects", json={"name": "New", "companyId": COMPANIES[2]})
    assert created.status_code == 200
    record = created.json()
    assert record["companyName"] == "Initech" and len(record["_id"]) == 24
    deleted = client.delete(f"/projects/{record['_id']}")
    assert deleted.status_code == 200 and isinstance(deleted.json(), dict)
    assert client.get(f"/projects/{record['_id']}").status_code == 404


def test_headers_and_routes(planhat: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = planhat
    provider.clock = lambda: 1_800_000_000.0  # a fixed minute, so the window cannot roll over
    first, second = client.get("/projects"), client.get("/projects")
    assert first.headers["X-Rate-Limit-Limit"] == "200"
    assert int(second.headers["X-Rate-Limit-Remaining"]) == (
        int(first.headers["X-Rate-Limit-Remaining"]) - 1
    )
    assert client.get("/companies").status_code == 404
    assert client.patch(f"/projects/{PROJECT}", json={}).status_code == 405
    provider.enforce_rate_limit = True
    for _ in range(198):
        client.get("/projects")
    assert client.get("/projects").status_code == 429
    provider.clock = lambda: 4_000_000_000.0  # a later minute: the window resets
    assert client.get("/projects").status_code == 200


def test_put_project_helper(planhat: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = planhat
    new_id = provider.put_project({"name": "Bench", "companyId": COMPANIES[1]})
    assert client.get(f"/projects/{new_id}").json()["companyName"] == "Globex Ltd"
