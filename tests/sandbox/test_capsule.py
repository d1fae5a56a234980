from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from unifold.sandbox import SEED_PROJECT_IDS, SEED_REFERENCES, SandboxProvider

from .conftest import ClientFactory

KASE = "/api/v2/kases/12"


@pytest.fixture
def capsule(make_client: ClientFactory) -> tuple[SandboxProvider, httpx.Client]:
    return make_client("capsule")


def put(client: httpx.Client, kase: dict[str, Any], path: str = KASE) -> httpx.Response:
    return client.put(path, json={"kase": kase})


def errors(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"] == "Validation Failed"
    assert all(e["resource"] == "kase" for e in body["errors"])
    return [e["message"] for e in body["errors"]]


def test_auth_rejected(make_client: ClientFactory) -> None:
    provider, client = make_client("capsule", auth=False)
    response = client.get(KASE)
    assert response.status_code == 401
    assert "message" in response.json()
    wrong = client.get(KASE, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert provider.received[0].path == KASE  # recorded, auth header not stored
    assert not hasattr(provider.received[0], "headers")


def test_get_and_embed(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = capsule
    plain = client.get(KASE).json()["kase"]
    assert plain["id"] == 12 and plain["status"] == "OPEN"
    assert plain["party"] == {
        "id": 892,
        "type": "organisation",
        "name": "Northwind Traders",
        "pictureURL": plain["party"]["pictureURL"],
    }
    assert plain["owner"] == {"id": 61, "username": "alice", "name": "Alice Archer"}
    assert "tags" not in plain and "fields" not in plain
    embedded = client.get(KASE, params={"embed": "tags,fields"}).json()["kase"]
    assert [t["name"] for t in embedded["tags"]] == ["Priority"]
    assert embedded["fields"][1] == {
        "id": 9902,
        "value": "12000",
        "definition": {"id": 78, "name": "Budget"},
    }
    for kase_id in SEED_PROJECT_IDS["capsule"]:
        assert client.get(f"/api/v2/kases/{kase_id}").status_code == 200


def test_rate_limit_headers(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = capsule
    first, second = client.get(KASE), client.get("/api/v2/kases/999")
    assert first.headers["X-RateLimit-Limit"] == "4000"
    remaining = int(first.headers["X-RateLimit-Remaining"])
    assert int(second.headers["X-RateLimit-Remaining"]) == remaining - 1
    assert int(first.headers["X-RateLimit-Reset"]) > time.time()
    provider.enforce_rate_limit = True
    provider._window.limit = 2  # type: ignore[attr-defined]
    limited = client.get(KASE)
    assert limited.status_code == 429
    assert limited.json() == {"error": "rate limit reached"}
    assert limited.headers["X-RateLimit-Remaining"] == "0"


def test_partial_update(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = capsule
    provider.clock = lambda: 1_800_000_000.0  # 2027-01-15T08:00:00Z
    response = put(client, {"name": "Renamed", "updatedAt": "1999-01-01T00:00:00Z"})
    assert response.status_code == 200
    kase = response.json()["kase"]
    assert kase["name"] == "Renamed"
    assert kase["description"] == "Rebuild the public website"  # omitted stays
    assert kase["updatedAt"] == "2027-01-15T08:00:00Z"  # bumped, read-only input ignored
    assert kase["team"] == {"id": 42, "name": "Delivery"}  # no owner in body: team kept
    cleared = put(client, {"description": None, "expectedCloseOn": None, "stage": None})
    kase = cleared.json()["kase"]
    assert kase["description"] is None and kase["expectedCloseOn"] is None
    assert kase["stage"] is None
    assert put(client, {"stage": 150}).json()["kase"]["stage"] == {"id": 150, "name": "In Progress"}
    assert put(client, {"stage": {"id": 151}}).json()["kase"]["stage"]["id"] == 151
    embedded = client.put(KASE, params={"embed": "tags"}, json={"kase": {}}).json()["kase"]
    assert "tags" in embedded and "fields" not in embedded


def test_status_sets_closed_on(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = capsule
    provider.clock = lambda: 1_800_000_000.0
    closed = put(client, {"status": "CLOSED"}).json()["kase"]
    assert closed["status"] == "CLOSED" and closed["closedOn"] == "2027-01-15"
    reopened = put(client, {"status": "OPEN"}).json()["kase"]
    assert reopened["closedOn"] is None
    assert errors(put(client, {"status": "DONE"})) == ["status must be one of OPEN, CLOSED"]


def test_validation_errors(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = capsule
    assert errors(put(client, {"party": None})) == ["party is required"]
    assert errors(put(client, {"party": {"id": 1}})) == ["party not found"]
    assert errors(put(client, {"name": ""})) == ["name is required"]
    assert errors(put(client, {"expectedCloseOn": "2024-02-30"})) == [
        "expectedCloseOn is not a valid date"
    ]
    assert errors(put(client, {"opportunity": {"id": 5}})) == ["opportunity not found"]
    # A failed update changes nothing.
    assert client.get(KASE).json()["kase"]["name"] == "Website rebuild"
    party = put(client, {"party": {"id": 893}}).json()["kase"]["party"]
    assert party["id"] == 893 and party["name"] == "Globex Ltd"
    bad_body = client.put(KASE, json={"name": "x"})
    assert bad_body.status_code == 400


def test_owner_team_quirk(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = capsule
    # Owner without team clears the team.
    kase = put(client, {"owner": {"id": 62}}).json()["kase"]
    assert kase["owner"]["id"] == 62 and kase["team"] is None
    # Team without owner keeps the owner (62 is a member of team 42).
    kase = put(client, {"team": {"id": 42}}).json()["kase"]
    assert kase["owner"]["id"] == 62 and kase["team"]["id"] == 42
    # Both sent together.
    kase = put(client, {"owner": {"id": 61}, "team": {"id": 42}}).json()["kase"]
    assert kase["owner"]["id"] == 61 and kase["team"]["id"] == 42
    assert errors(put(client, {"owner": {"id": 63}, "team": {"id": 42}})) == [
        "owner is not a member of the team"
    ]
    assert errors(put(client, {"team": {"id": 43}})) == ["owner is not a member of the team"]
    # Kase 13 has an owner and no team: clearing the owner leaves neither.
    assert errors(put(client, {"owner": None}, "/api/v2/kases/13")) == [
        "kase: owner or team is required"
    ]
    assert errors(put(client, {"owner": None, "team": None})) == ["kase: owner or team is required"]
    kase = put(client, {"owner": None, "team": {"id": 43}}).json()["kase"]
    assert kase["owner"] is None and kase["team"]["id"] == 43


def test_tags(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = capsule

    def tags(response: httpx.Response) -> list[tuple[int, str]]:
        assert response.status_code == 200, response.text
        return [(t["id"], t["name"]) for t in response.json()["kase"]["tags"]]

    path = KASE + "?embed=tags"
    # Case-insensitive match on an existing tag; a new name creates a tag.
    result = tags(put(client, {"tags": [{"name": "vip"}, {"name": "Brand New"}]}, path))
    assert result == [(501, "Priority"), (502, "VIP"), (504, "Brand New")]
    assert tags(put(client, {"tags": [{"id": 501, "_delete": True}]}, path)) == [
        (502, "VIP"),
        (504, "Brand New"),
    ]
    assert errors(put(client, {"tags": [{"id": 503, "_delete": True}]}, path)) == [
        "tag not found to delete"
    ]
    # A failed request does not create its tags.
    failed = put(client, {"tags": [{"name": "Ghost"}, {"id": 501, "_delete": True}]}, path)
    assert failed.status_code == 422
    names = [t["name"] for t in client.get("/api/v2/kases/tags").json()["tags"]]
    assert "Ghost" not in names and "Brand New" in names


def test_custom_fields(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = capsule
    definitions = client.get("/api/v2/kases/fields/definitions").json()["definitions"]
    assert {d["id"] for d in definitions} == {
        int(i) for i in SEED_REFERENCES["capsule"]["field_definitions"]
    }
    assert all({"id", "name", "type"} <= d.keys() for d in definitions)
    path = KASE + "?embed=fields"
    body = {
        "fields": [
            {"definition": {"id": 81}, "value": "hello"},
            {"id": 9902, "value": 15000},
            {"id": 9901, "_delete": True},
        ]
    }
    fields = put(client, body, path).json()["kase"]["fields"]
    assert [(f["definition"]["id"], f["value"]) for f in fields] == [(78, "15000"), (81, "hello")]
    assert errors(put(client, {"fields": [{"definition": {"id": 1}, "value": "x"}]})) == [
        "field definition not found"
    ]
    assert errors(put(client, {"fields": [{"definition": {"id": 79}, "value": None}]})) == [
        "field.value: invalid type for field"
    ]
    assert errors(put(client, {"fields": [{"id": 1234, "value": "x"}]})) == ["field not found"]


def test_list_create_delete(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = capsule
    first = client.get("/api/v2/kases", params={"perPage": 2})
    assert [k["id"] for k in first.json()["kases"]] == [12, 13]
    next_url = first.links["next"]["url"]
    assert next_url.startswith("http://sandbox.test/api/v2/kases?")
    second = client.get(next_url)
    assert [k["id"] for k in second.json()["kases"]] == [14]
    assert "next" not in second.links and "prev" in second.links
    assert client.get("/api/v2/kases", params={"perPage": 500}).status_code == 400

    created = client.post("/api/v2/kases", json={"kase": {"name": "New", "party": {"id": 894}}})
    assert created.status_code == 201
    kase = created.json()["kase"]
    assert created.headers["Location"] == f"http://sandbox.test/api/v2/kases/{kase['id']}"
    assert kase["party"]["firstName"] == "Ada" and kase["owner"]["id"] == 61
    assert client.get(created.headers["Location"]).status_code == 200
    missing = client.post("/api/v2/kases", json={"kase": {"name": "No party"}})
    assert errors(missing) == ["party is required"]
    assert client.delete(f"/api/v2/kases/{kase['id']}").status_code == 204
    gone = client.get(f"/api/v2/kases/{kase['id']}")
    assert gone.status_code == 404
    assert gone.json() == {"message": "Could not find resource"}


def test_additional_parties(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = capsule
    listed = client.get(KASE + "/parties").json()["parties"]
    assert [p["id"] for p in listed] == [894]
    assert client.post(KASE + "/parties/893").status_code == 204
    assert client.post(KASE + "/parties/893").status_code == 204  # no duplicate
    assert [p["id"] for p in client.get(KASE + "/parties").json()["parties"]] == [894, 893]
    assert client.delete(KASE + "/parties/894").status_code == 204
    assert client.delete(KASE + "/parties/894").status_code == 404
    assert client.post(KASE + "/parties/1").status_code == 404


def test_unknown_route_and_method(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    _, client = capsule
    assert client.get("/api/v2/nothing").json() == {"message": "Could not find resource"}
    assert client.get("/elsewhere").status_code == 404
    wrong = client.patch(KASE, json={})
    assert wrong.status_code == 405
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "PUT", "DELETE"}


def test_put_project_helper(capsule: tuple[SandboxProvider, httpx.Client]) -> None:
    provider, client = capsule
    new_id = provider.put_project({"name": "Bench", "tags": [{"id": 501, "name": "Priority"}]})
    kase = client.get(f"/api/v2/kases/{new_id}?embed=tags").json()["kase"]
    assert kase["name"] == "Bench" and kase["tags"][0]["id"] == 501
    assert provider.put_project({"id": 9000, "name": "Fixed"}) == "9000"
