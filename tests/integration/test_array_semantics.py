"""Arrays are the desired final state: Capsule tags, Teamleader contacts and deals."""

from __future__ import annotations

from typing import Any

import pytest

from unifold.sandbox import SEED_PROJECT_IDS

from .conftest import REFS, Sandbox

TL = REFS["teamleader"]
TL_API = "/projects-v2/projects."
CONTACT_1, CONTACT_2 = TL["contacts"]
DEAL_1, DEAL_2 = TL["deals"]
# Seed project 3 has one contact customer (CONTACT_1); project 1 has one deal (DEAL_1).
TL_WITH_CONTACT = SEED_PROJECT_IDS["teamleader"][2]
TL_WITH_DEAL = SEED_PROJECT_IDS["teamleader"][0]


def tag_names(project: Any) -> list[str]:
    return sorted(tag.name for tag in project.tags)


def test_capsule_empty_tags_removes_every_tag(capsule: Sandbox) -> None:
    capsule.update({"tags": [{"name": "Priority"}, {"name": "VIP"}]})
    assert tag_names(capsule.get()) == ["Priority", "VIP"]

    project = capsule.update({"tags": []})

    assert capsule.main_write().json == {
        "kase": {"tags": [{"id": 501, "_delete": True}, {"id": 502, "_delete": True}]}
    }
    assert project.tags == []
    assert capsule.get().tags == []


def test_capsule_tags_reach_exactly_the_desired_set(capsule: Sandbox) -> None:
    project = capsule.update({"tags": [{"name": "vip"}, {"name": "Internal"}]})

    assert capsule.main_write().json == {
        "kase": {"tags": [{"name": "vip"}, {"name": "Internal"}, {"id": 501, "_delete": True}]}
    }
    assert tag_names(project) == ["Internal", "VIP"]  # existing tags reused, matched by name
    assert tag_names(capsule.get()) == ["Internal", "VIP"]


def test_capsule_same_tags_again_sends_no_tag_change(capsule: Sandbox) -> None:
    project = capsule.update({"name": "Same tags", "tags": [{"id": "501", "name": "Priority"}]})

    assert capsule.main_write().json == {"kase": {"name": "Same tags"}}
    assert tag_names(project) == ["Priority"]


def test_capsule_empty_tags_on_an_untagged_project_sends_nothing_to_delete(
    capsule: Sandbox,
) -> None:
    untagged = SEED_PROJECT_IDS["capsule"][1]
    project = capsule.update({"name": "Still untagged", "tags": []}, project_id=untagged)

    # Deleting a tag that is not attached is a 422 on Capsule: nothing may be sent for it.
    assert capsule.writes()[-1].json == {"kase": {"name": "Still untagged"}}
    assert project.tags == []


def teamleader_calls(sb: Sandbox) -> list[tuple[str, dict[str, Any]]]:
    """The add/remove calls after the main update, as (action, payload without the id)."""
    out = []
    for request in sb.writes():
        action = request.path.removeprefix(TL_API)
        if action != "update":
            payload = {k: v for k, v in request.json.items() if k != "id"}
            out.append((action, payload))
    return out


def contact(ident: str) -> dict[str, Any]:
    return {"customer": {"type": "contact", "id": ident}}


@pytest.mark.parametrize(
    ("desired", "calls"),
    [
        (
            [CONTACT_2],
            [("addCustomer", contact(CONTACT_2)), ("removeCustomer", contact(CONTACT_1))],
        ),
        ([CONTACT_1, CONTACT_2], [("addCustomer", contact(CONTACT_2))]),
        ([CONTACT_1], []),
        ([], [("removeCustomer", contact(CONTACT_1))]),
        (
            [CONTACT_2, CONTACT_2],
            [("addCustomer", contact(CONTACT_2)), ("removeCustomer", contact(CONTACT_1))],
        ),
    ],
    ids=["replace", "add-one", "unchanged", "clear", "duplicates"],
)
def test_teamleader_contacts_reach_exactly_the_desired_set(
    teamleader: Sandbox, desired: list[str], calls: list[tuple[str, dict[str, Any]]]
) -> None:
    project = teamleader.update(
        {"name": "Support onboarding", "contact": [{"id": c} for c in desired]},
        project_id=TL_WITH_CONTACT,
    )

    assert teamleader_calls(teamleader) == calls
    final = sorted(set(desired))
    assert sorted(c.id for c in project.contact) == final
    assert sorted(c.id for c in teamleader.get(TL_WITH_CONTACT).contact) == final


def test_teamleader_contacts_leave_the_company_customer_alone(teamleader: Sandbox) -> None:
    project = teamleader.update({"name": "Website rebuild", "contact": []})

    assert teamleader_calls(teamleader) == []  # no contacts to remove, the company stays
    assert project.account is not None and project.account.id == TL["companies"][0]


@pytest.mark.parametrize(
    ("desired", "calls"),
    [
        ([DEAL_2], [("addDeal", {"deal_id": DEAL_2}), ("removeDeal", {"deal_id": DEAL_1})]),
        ([DEAL_1, DEAL_2], [("addDeal", {"deal_id": DEAL_2})]),
        ([DEAL_1], []),
        ([], [("removeDeal", {"deal_id": DEAL_1})]),
    ],
    ids=["replace", "add-one", "unchanged", "clear"],
)
def test_teamleader_deals_reach_exactly_the_desired_set(
    teamleader: Sandbox, desired: list[str], calls: list[tuple[str, dict[str, Any]]]
) -> None:
    project = teamleader.update(
        {"name": "Website rebuild", "opportunity": [{"id": d} for d in desired]},
        project_id=TL_WITH_DEAL,
    )

    assert teamleader_calls(teamleader) == calls
    assert sorted(o.id for o in project.opportunity) == sorted(desired)
    assert sorted(o.id for o in teamleader.get(TL_WITH_DEAL).opportunity) == sorted(desired)


def test_teamleader_null_opportunity_and_account_clear_them(teamleader: Sandbox) -> None:
    project = teamleader.update({"name": "Website rebuild", "opportunity": None, "account": None})

    assert teamleader_calls(teamleader) == [
        ("removeCustomer", {"customer": {"type": "company", "id": TL["companies"][0]}}),
        ("removeDeal", {"deal_id": DEAL_1}),
    ]
    assert project.opportunity == []
    assert project.account is None


def test_teamleader_owner_read_back_changes_nothing(teamleader: Sandbox) -> None:
    # Writing back the owner just read keeps the co-owners.
    two_owners = SEED_PROJECT_IDS["teamleader"][2]  # owners: users 1 and 3
    owner = teamleader.get(two_owners).owner
    assert owner is not None and owner.id == TL["users"][0]
    teamleader.update(
        {"name": "Support onboarding", "owner": {"id": owner.id}}, project_id=two_owners
    )

    assert teamleader_calls(teamleader) == []
    raw = teamleader.get(two_owners, response_format="raw")
    assert sorted(o["id"] for o in raw["data"]["owners"]) == sorted(
        [TL["users"][0], TL["users"][2]]
    )


def test_teamleader_new_owner_replaces_the_owners(teamleader: Sandbox) -> None:
    two_owners = SEED_PROJECT_IDS["teamleader"][2]  # owners: users 1 and 3
    project = teamleader.update(
        {"name": "Support onboarding", "owner": {"id": TL["users"][1]}}, project_id=two_owners
    )

    assert teamleader_calls(teamleader) == [
        ("addOwner", {"user_id": TL["users"][1]}),
        ("removeOwner", {"user_id": TL["users"][0]}),
        ("removeOwner", {"user_id": TL["users"][2]}),
    ]
    assert project.owner is not None and project.owner.id == TL["users"][1]
    raw = teamleader.get(two_owners, response_format="raw")
    assert raw["data"]["owners"] == [{"type": "user", "id": TL["users"][1]}]


def test_teamleader_co_owner_written_as_owner_becomes_the_only_owner(teamleader: Sandbox) -> None:
    # The co-owner is not what reads back as the owner: it becomes the owner, the others go.
    two_owners = SEED_PROJECT_IDS["teamleader"][2]  # owners: users 1 and 3
    project = teamleader.update(
        {"name": "Support onboarding", "owner": {"id": TL["users"][2]}}, project_id=two_owners
    )

    assert teamleader_calls(teamleader) == [("removeOwner", {"user_id": TL["users"][0]})]
    assert project.owner is not None and project.owner.id == TL["users"][2]
