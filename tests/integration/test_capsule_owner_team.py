"""Capsule clears a project's team when an owner is sent without one; unifold reads the project
first and sends its current team along."""

from __future__ import annotations

from unifold.sandbox import SEED_PROJECT_IDS

from .conftest import Sandbox

WITH_TEAM = SEED_PROJECT_IDS["capsule"][0]  # owner 61, team 42 (members 61, 62)
WITHOUT_TEAM = SEED_PROJECT_IDS["capsule"][1]  # owner 62, no team
TEAM_ONLY = SEED_PROJECT_IDS["capsule"][2]  # no owner, team 43 (member 63)


def stored(sb: Sandbox, project_id: str) -> dict:
    return sb.get(project_id, response_format="raw")["kase"]


def test_owner_in_remote_data_keeps_the_current_team(capsule: Sandbox) -> None:
    project = capsule.update({"remote_data": {"kase": {"owner": {"id": 62}}}})

    get, reread, put = capsule.received  # read, re-read before writing (conflict check), write
    assert (get.method, get.path) == (reread.method, reread.path) == ("GET", "/api/v2/kases/12")
    assert put.json == {"kase": {"owner": {"id": 62}, "team": {"id": 42}}}
    assert project.owner is not None and project.owner.id == "62"
    record = stored(capsule, WITH_TEAM)
    assert record["owner"]["id"] == 62
    assert record["team"] == {"id": 42, "name": "Delivery"}


def test_owner_on_a_project_without_team_sends_no_team(capsule: Sandbox) -> None:
    capsule.update({"remote_data": {"kase": {"owner": {"id": 61}}}}, project_id=WITHOUT_TEAM)

    assert capsule.writes()[-1].json == {"kase": {"owner": {"id": 61}, "team": None}}
    record = stored(capsule, WITHOUT_TEAM)
    assert record["owner"]["id"] == 61
    assert record["team"] is None


def test_owner_on_a_team_only_project_keeps_that_team(capsule: Sandbox) -> None:
    capsule.update({"remote_data": {"kase": {"owner": {"id": 63}}}}, project_id=TEAM_ONLY)

    assert capsule.writes()[-1].json == {"kase": {"owner": {"id": 63}, "team": {"id": 43}}}
    record = stored(capsule, TEAM_ONLY)
    assert (record["owner"]["id"], record["team"]["id"]) == (63, 43)


def test_an_explicit_team_in_remote_data_wins(capsule: Sandbox) -> None:
    capsule.update({"remote_data": {"kase": {"owner": {"id": 63}, "team": None}}})

    assert capsule.writes()[-1].json == {"kase": {"owner": {"id": 63}, "team": None}}
    record = stored(capsule, WITH_TEAM)
    assert record["owner"]["id"] == 63
    assert record["team"] is None


def test_owner_with_mapped_fields_merges_into_one_body(capsule: Sandbox) -> None:
    capsule.update({"name": "Handover", "remote_data": {"kase": {"owner": {"id": 62}}}})

    assert capsule.writes()[-1].json == {
        "kase": {"name": "Handover", "owner": {"id": 62}, "team": {"id": 42}}
    }
    record = stored(capsule, WITH_TEAM)
    assert (record["name"], record["owner"]["id"], record["team"]["id"]) == ("Handover", 62, 42)
