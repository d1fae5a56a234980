"""Conflict safety for read-modify-write (issue 11, finding 9): a write unifold builds from a
read of the record (tags, custom fields, Teamleader owners and customers) never undoes an edit
someone made between that read and the write. Insightly refuses a stale ETag (If-Match); the
others are re-read right before the write and compared."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from unifold import ConflictError
from unifold.sandbox import SANDBOX_CREDENTIALS

from .conftest import REFS, Sandbox, provider_call

AUTH = {
    "capsule": "Bearer " + SANDBOX_CREDENTIALS["capsule"]["token"],
    "planhat": "Bearer " + SANDBOX_CREDENTIALS["planhat"]["token"],
    "teamleader": "Bearer " + SANDBOX_CREDENTIALS["teamleader"]["access_token"],
}


def edit_after_first_read(sb: Sandbox, edit: Callable[[], None]) -> list[str]:
    """Make `edit` (another user's change) happen right after unifold's first read of the
    project; returns the log of what the provider received from unifold."""
    provider = sb.provider
    original = provider.handle
    seen: list[str] = []

    def handle(method: str, path: str, query: Any, headers: Any, body: bytes) -> Any:
        response = original(method, path, query, headers, body)
        seen.append(f"{method} {path}")
        reads = [s for s in seen if s.startswith("GET ") or s.endswith("projects.info")]
        if len(reads) == 1 and (method == "GET" or path.endswith("projects.info")):
            edit()
        return response

    provider.handle = handle  # type: ignore[method-assign]
    return seen


def test_insightly_custom_fields_refused_on_a_stale_etag(insightly: Sandbox) -> None:
    def other_user() -> None:
        record = insightly.provider._projects[int(insightly.pid)]  # type: ignore[attr-defined]
        record["PROJECT_DETAILS"] = "edited by someone else"

    seen = edit_after_first_read(insightly, other_user)
    with pytest.raises(ConflictError) as caught:
        insightly.update({"custom_fields": {"Region__c": "EMEA"}})
    assert "If-Match" in caught.value.message
    put = insightly.main_write()
    assert put.json is not None and "CUSTOMFIELDS" in put.json
    assert seen == ["GET /v3.1/Projects/" + insightly.pid, "PUT /v3.1/Projects"]
    assert insightly.get().description == "edited by someone else"  # not undone


def test_insightly_sends_the_etag_it_read(insightly: Sandbox) -> None:
    insightly.update({"custom_fields": {"Region__c": "EMEA"}})
    stored = provider_call(insightly, "GET", f"/v3.1/Projects/{insightly.pid}")
    fields = {f["FIELD_NAME"]: f["FIELD_VALUE"] for f in stored["CUSTOMFIELDS"]}
    assert fields["Region__c"] == "EMEA"


def _bypass(sb: Sandbox) -> Callable[[str, str, Any], None]:
    original = sb.provider.handle

    def call(method: str, path: str, body: Any) -> None:
        response = original(
            method, path, [], {"authorization": AUTH[sb.integration]}, json.dumps(body).encode()
        )
        assert 200 <= response.status < 300, response.body

    return call


def test_capsule_tags_refused_when_the_project_changed(capsule: Sandbox) -> None:
    call = _bypass(capsule)
    path = f"/api/v2/kases/{capsule.pid}"
    seen = edit_after_first_read(
        capsule, lambda: call("PUT", path, {"kase": {"tags": [{"name": "Added elsewhere"}]}})
    )
    with pytest.raises(ConflictError) as caught:
        capsule.update({"tags": [{"name": "Mine"}]})
    assert "tags" in caught.value.fields
    assert [s.split(" ")[0] for s in seen] == ["GET", "GET"]  # no PUT from unifold
    assert "Added elsewhere" in [t.name for t in capsule.get().tags or []]


def test_planhat_custom_refused_when_it_changed(planhat: Sandbox) -> None:
    call = _bypass(planhat)
    seen = edit_after_first_read(
        planhat,
        lambda: call("PUT", f"/projects/{planhat.pid}", {"custom": {"Phase": "Elsewhere"}}),
    )
    with pytest.raises(ConflictError) as caught:
        planhat.update({"custom_fields": {"Health": 3}})
    assert caught.value.fields == ["custom"]
    assert [s.split(" ")[0] for s in seen] == ["GET", "GET"]


def test_teamleader_owner_change_refused_when_owners_changed(teamleader: Sandbox) -> None:
    call = _bypass(teamleader)
    users = REFS["teamleader"]["users"]
    seen = edit_after_first_read(
        teamleader,
        lambda: call(
            "POST",
            "/projects-v2/projects.addOwner",
            {"id": teamleader.pid, "user_id": users[2]},
        ),
    )
    with pytest.raises(ConflictError) as caught:
        teamleader.update({"name": "Website rebuild", "owner": {"id": users[1]}})
    assert caught.value.fields == ["owners"]
    assert not any(s.endswith(("projects.update", "Owner")) for s in seen)


def test_an_unchanged_record_is_written(capsule: Sandbox) -> None:
    project = capsule.update({"tags": [{"name": "Mine"}]})
    assert [t.name for t in project.tags or []] == ["Mine"]
