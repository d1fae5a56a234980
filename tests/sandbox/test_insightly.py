from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from unifold.sandbox import SEED_PROJECT_IDS, SandboxProvider

from .conftest import ClientFactory

PROJECT = 1657941


@pytest.fixture
def insightly(make_client: ClientFactory) -> tuple[SandboxProvider, httpx.Client]:
    return make_client("insightly")


def test_auth_rejected(make_client: ClientFactory) -> None:
    _, client = make_client("insightly", auth=False)
    assert client.get(f"/v3.1/Projects/{PROJECT}").status_code == 401
    wrong = "Basic " + base64.b64encode(b"other-key:").decode()
    response = client.get(f"/v3.1/Projects/{PROJECT}", headers={"Authorization": wrong})
    assert response.status_code == 401
    assert "Message" in response.json()
    # The password is ignored: the API key is the user name.
    key = "Basic " + base64.b64encode(b"sandbox-insightly-key:anything").decode()
    assert client.get(f"/v3.1/Projects/{PROJECT}", headers={"Authorization": key}).is_success


def test_get(insightly: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = insightly
    record = client.get(f"/v3.1/Projects/{PROJECT}").json()
    assert record["PROJECT_ID"] == PROJECT and record["STATUS"] == "IN PROGRESS"
    assert record["STARTED_DATE"] == "2024-01-15 00:00:00"
    assert record["CUSTOMFIELDS"][0] == {"FIELD_NAME": "Budget__c", "FIELD_VALUE": 12000}
    assert record["TAGS"] == [{"TAG_NAME": "Priority"}]
    assert record["LINKS"][0]["LINK_OBJECT_NAME"] == "Organisation"
    for project_id in SEED_PROJECT_IDS["insightly"]:
        assert client.get(f"/v3.1/Projects/{project_id}").status_code == 200
    brief = client.get(f"/v3.1/Projects/{PROJECT}", params={"brief": "true"}).json()
    assert "LINKS" not in brief and "TAGS" not in brief
    missing = client.get("/v3.1/Projects/1")
    assert missing.status_code == 404 and missing.json() == {"Message": "Record not found"}


def test_partial_update(insightly: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = insightly
    provider.clock = lambda: 1_800_000_000.0
    body = {
        "PROJECT_ID": PROJECT,
        "STATUS": "COMPLETED",
        "COMPLETED_DATE": "2027-01-15 00:00:00",
        "PROJECT_DETAILS": None,
        "STAGE_ID": 5003,  # read-only: ignored
        "TAGS": [{"TAG_NAME": "Ignored"}],  # read-only via PUT
        "DATE_CREATED_UTC": "2000-01-01 00:00:00",
    }
    response = client.put("/v3.1/Projects", json=body)
    assert response.status_code == 200
    record = response.json()
    assert record["STATUS"] == "COMPLETED" and record["COMPLETED_DATE"] == "2027-01-15 00:00:00"
    assert record["PROJECT_DETAILS"] is None  # null clears
    assert record["PROJECT_NAME"] == "Website rebuild"  # omitted stays
    assert record["STAGE_ID"] == 5002 and record["TAGS"] == [{"TAG_NAME": "Priority"}]
    assert record["DATE_CREATED_UTC"] == "2024-01-08 09:30:00"
    assert record["DATE_UPDATED_UTC"] == "2027-01-15 08:00:00"
    assert client.get(f"/v3.1/Projects/{PROJECT}").json() == record


def test_custom_fields_replace(insightly: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = insightly
    body = {"PROJECT_ID": PROJECT, "CUSTOMFIELDS": [{"FIELD_NAME": "Kickoff__c", "FIELD_VALUE": 1}]}
    record = client.put("/v3.1/Projects", json=body).json()
    assert record["CUSTOMFIELDS"] == [{"FIELD_NAME": "Kickoff__c", "FIELD_VALUE": 1}]
    record = client.put("/v3.1/Projects", json={"PROJECT_ID": PROJECT, "PROJECT_NAME": "x"}).json()
    assert record["CUSTOMFIELDS"] == [{"FIELD_NAME": "Kickoff__c", "FIELD_VALUE": 1}]


@pytest.mark.parametrize(
    "change",
    [
        {"STATUS": "Done"},
        {"STATUS": "in progress"},
        {"PROJECT_NAME": None},
        {"PROJECT_NAME": "x" * 256},
        {"STARTED_DATE": "2024-01-15"},
        {"STARTED_DATE": "2024-01-15T00:00:00Z"},
        {"OWNER_USER_ID": 1},
        {"OWNER_USER_ID": None},
        {"RESPONSIBLE_USER_ID": 99},
        {"CATEGORY_ID": 12345},
        {"CUSTOMFIELDS": [{"FIELD_NAME": "Nope__c", "FIELD_VALUE": 1}]},
    ],
)
def test_bad_values(
    insightly: tuple[SandboxProvider, httpx.Client], change: dict[str, Any]
) -> None:
    _, client = insightly
    response = client.put("/v3.1/Projects", json={"PROJECT_ID": PROJECT, **change})
    assert response.status_code == 400
    assert isinstance(response.json()["Message"], str)
    assert client.get(f"/v3.1/Projects/{PROJECT}").json()["STATUS"] == "IN PROGRESS"


def test_update_errors(insightly: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = insightly
    assert client.put("/v3.1/Projects", json={"PROJECT_NAME": "x"}).status_code == 400
    unknown = client.put("/v3.1/Projects", json={"PROJECT_ID": 5, "PROJECT_NAME": "x"})
    assert unknown.status_code == 404 and unknown.json() == {"Message": "Record not found"}
    ok = client.put("/v3.1/Projects", json={"PROJECT_ID": PROJECT, "RESPONSIBLE_USER_ID": None})
    assert ok.json()["RESPONSIBLE_USER_ID"] is None


def test_list_create_delete(insightly: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = insightly
    page = client.get("/v3.1/Projects", params={"skip": 1, "top": 1, "count_total": "true"})
    assert [r["PROJECT_ID"] for r in page.json()] == [1657942]
    assert page.headers["X-Total-Count"] == "3"
    assert "X-Total-Count" not in client.get("/v3.1/Projects").headers
    assert client.get("/v3.1/Projects", params={"top": 501}).status_code == 400

    created = client.post("/v3.1/Projects", json={"PROJECT_NAME": "New", "STATUS": "NOT STARTED"})
    assert created.status_code == 201
    record = created.json()
    assert record["OWNER_USER_ID"] == 607181 and record["CUSTOMFIELDS"] == []
    assert client.post("/v3.1/Projects", json={"PROJECT_NAME": "x"}).status_code == 400
    deleted = client.delete(f"/v3.1/Projects/{record['PROJECT_ID']}")
    assert deleted.status_code == 202
    assert client.get(f"/v3.1/Projects/{record['PROJECT_ID']}").status_code == 404


def test_headers_and_routes(insightly: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = insightly
    first = client.get(f"/v3.1/Projects/{PROJECT}")
    second = client.get(f"/v3.1/Projects/{PROJECT}")
    assert first.headers["X-RateLimit-Limit"] == "100000"
    assert int(second.headers["X-RateLimit-Remaining"]) == (
        int(first.headers["X-RateLimit-Remaining"]) - 1
    )
    assert client.get("/v3.1/Nothing").status_code == 404
    assert "Message" in client.get("/v3.1/Nothing").json()
    assert client.patch("/v3.1/Projects", json={}).status_code == 405
    assert client.get(f"/v3.1/projects/{PROJECT}").status_code == 200  # case-insensitive


def test_put_project_helper(insightly: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = insightly
    new_id = provider.put_project({"PROJECT_NAME": "Bench", "STATUS": "DEFERRED"})
    assert client.get(f"/v3.1/Projects/{new_id}").json()["STATUS"] == "DEFERRED"


def test_projects_search_updated_after_utc(make_client: Any) -> None:
    # updated_after_utc is declared on GET /Projects/Search (v3.1 spec), not on GET /Projects.
    _, client = make_client("insightly")
    response = client.get(
        "/v3.1/Projects/Search", params={"updated_after_utc": "2024-02-01T00:00:00Z"}
    )
    assert response.status_code == 200
    assert [p["PROJECT_ID"] for p in response.json()] == [1657941]
    named = client.get(
        "/v3.1/Projects/Search", params={"field_name": "PROJECT_ID", "field_value": "1657943"}
    )
    assert [p["PROJECT_ID"] for p in named.json()] == [1657943]
    definitions = client.get("/v3.1/CustomFields/Projects").json()
    assert [d["FIELD_NAME"] for d in definitions] == ["Budget__c", "Region__c", "Kickoff__c"]


def test_custom_field_definitions_follow_the_v31_schema(
    insightly: tuple[SandboxProvider, httpx.Client],
) -> None:
    # v3.1 swagger APICustomFieldMetadata: FIELD_NAME, FIELD_ORDER, FIELD_FOR, FIELD_LABEL,
    # FIELD_TYPE required; options under CUSTOM_FIELD_OPTIONS [{OPTION_ID, OPTION_VALUE,
    # OPTION_DEFAULT}] (ballerina-platform/openapi-connectors openapi/insightly.custom).
    _, client = insightly
    rows = client.get("/v3.1/CustomFields/Projects").json()
    assert rows and all(
        {"FIELD_NAME", "FIELD_ORDER", "FIELD_FOR", "FIELD_LABEL", "FIELD_TYPE"} <= set(row)
        and "FIELD_OPTIONS" not in row
        for row in rows
    )
    assert [row["FIELD_ORDER"] for row in rows] == list(range(1, len(rows) + 1))
    region = next(row for row in rows if row["FIELD_NAME"] == "Region__c")
    assert [o["OPTION_VALUE"] for o in region["CUSTOM_FIELD_OPTIONS"]] == ["EMEA", "APAC", "AMER"]
    assert set(region["CUSTOM_FIELD_OPTIONS"][0]) == {"OPTION_ID", "OPTION_VALUE", "OPTION_DEFAULT"}
