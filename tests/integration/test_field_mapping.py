"""Every supported update field reaches the provider in its wire shape, and every response
field comes back mapped onto the integration's `Project`."""

from __future__ import annotations

from typing import Any

import pytest

from unifold import InvalidFieldValueError
from unifold.generated.crm import capsule as capsule_models
from unifold.generated.crm import insightly as insightly_models
from unifold.generated.crm import pipeliner as pipeliner_models
from unifold.generated.crm import planhat as planhat_models
from unifold.generated.crm import teamleader as teamleader_models

from .conftest import (
    FROZEN_NOW_ISO,
    REFS,
    TL_MODULE_CHECK,
    Sandbox,
    SandboxFactory,
    provider_call,
)

PIPE = REFS["pipeliner"]
PLAN = REFS["planhat"]
TL = REFS["teamleader"]
TL_API = "/projects-v2/projects."


def assert_response(project: Any, expected: dict[str, Any]) -> None:
    dumped = project.model_dump()
    for key, value in expected.items():
        if key == "remote_data":
            assert project.remote_data is not None
            assert {k: project.remote_data.get(k) for k in value} == value
        else:
            assert dumped[key] == value, key


# (integration, unified body, provider fields of the main update, expected response fields)
SINGLE_FIELD_CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("capsule", {"name": "Renamed"}, {"name": "Renamed"}, {"name": "Renamed"}),
    (
        "capsule",
        {"description": "New text"},
        {"description": "New text"},
        {"description": "New text"},
    ),
    ("capsule", {"status": "closed"}, {"status": "CLOSED"}, {"status": "closed"}),
    (
        "capsule",
        {"close_date": "2024-12-31"},
        {"expectedCloseOn": "2024-12-31"},
        {"close_date": "2024-12-31T00:00:00Z"},
    ),
    (
        "capsule",
        {"close_date": "2024-11-05T16:00:00Z"},
        {"expectedCloseOn": "2024-11-05"},
        {"close_date": "2024-11-05T00:00:00Z"},
    ),
    (
        "capsule",
        {"account": {"id": "893"}},
        {"party": {"id": 893}},
        {"account": {"id": "893", "name": "Globex Ltd"}, "contact": []},
    ),
    (
        "capsule",
        {"contact": [{"id": "894"}]},
        {"party": {"id": 894}},
        {"contact": [{"id": "894", "name": "Ada Lovelace"}], "account": None},
    ),
    (
        "capsule",
        {"opportunity": [{"id": "8302"}]},
        {"opportunity": {"id": 8302}},
        {"opportunity": [{"id": "8302", "name": "Support renewal"}]},
    ),
    ("capsule", {"opportunity": []}, {"opportunity": None}, {"opportunity": []}),
    (
        "capsule",
        {"remote_data": {"kase": {"stage": 151}}},
        {"stage": 151},
        {"stage": {"id": "151", "name": "Handover"}},
    ),
    ("insightly", {"name": "Renamed"}, {"PROJECT_NAME": "Renamed"}, {"name": "Renamed"}),
    (
        "insightly",
        {"description": "New text"},
        {"PROJECT_DETAILS": "New text"},
        {"description": "New text"},
    ),
    *[
        ("insightly", {"status": status}, {"STATUS": status.upper()}, {"status": status})
        for status in (
            "not started",
            "in progress",
            "deferred",
            "cancelled",
            "abandoned",
            "completed",
        )
    ],
    (
        "insightly",
        {"close_date": "2024-12-31T10:00:00Z"},
        {"COMPLETED_DATE": "2024-12-31 10:00:00"},
        {"close_date": "2024-12-31T10:00:00Z"},
    ),
    (
        "insightly",
        {"close_date": "2024-12-31T10:00:00+02:00"},
        {"COMPLETED_DATE": "2024-12-31 08:00:00"},
        {"close_date": "2024-12-31T08:00:00Z"},
    ),
    (
        "insightly",
        {"close_date": "2024-12-31"},
        {"COMPLETED_DATE": "2024-12-31 00:00:00"},
        {"close_date": "2024-12-31T00:00:00Z"},
    ),
    (
        "insightly",
        {"owner": {"id": "607182"}},
        {"OWNER_USER_ID": 607182},
        {"owner": {"id": "607182", "name": None}},
    ),
    (
        "insightly",
        {"remote_data": {"CATEGORY_ID": 3002}},
        {"CATEGORY_ID": 3002},
        {"remote_data": {"CATEGORY_ID": 3002}},
    ),
    ("pipeliner", {"name": "Renamed"}, {"name": "Renamed"}, {"name": "Renamed"}),
    (
        "pipeliner",
        {"description": "New text"},
        {"description": "New text"},
        {"description": "New text"},
    ),
    (
        "pipeliner",
        {"close_date": "2024-12-31"},
        {"end_date": "2024-12-31"},
        {"close_date": "2024-12-31T00:00:00Z"},
    ),
    (
        "pipeliner",
        {"close_date": "2024-12-31T22:00:00Z"},
        {"end_date": "2024-12-31"},
        {"close_date": "2024-12-31T00:00:00Z"},
    ),
    (
        "pipeliner",
        {"owner": {"id": PIPE["clients"][1]}},
        {"owner_id": PIPE["clients"][1]},
        {"owner": {"id": PIPE["clients"][1], "name": None}},
    ),
    (
        "pipeliner",
        {"account": {"id": PIPE["accounts"][1]}},
        {"account_id": PIPE["accounts"][1]},
        {"account": {"id": PIPE["accounts"][1], "name": None}},
    ),
    (
        "pipeliner",
        {"remote_data": {"cf_region": "APAC"}},
        {"cf_region": "APAC"},
        {"remote_data": {"cf_region": "APAC"}},
    ),
    ("planhat", {"name": "Renamed"}, {"name": "Renamed"}, {"name": "Renamed"}),
    (
        "planhat",
        {"account": {"id": PLAN["companies"][1]}},
        {"companyId": PLAN["companies"][1]},
        {"account": {"id": PLAN["companies"][1], "name": "Globex Ltd"}},
    ),
    ("planhat", {"amount": 2500}, {"mrr": 2500}, {"amount": 2500.0}),
    ("planhat", {"currency": "EUR"}, {"currency": "EUR"}, {"currency": "EUR"}),
    (
        "planhat",
        {"remote_data": {"externalId": "PRJ-9"}},
        {"externalId": "PRJ-9"},
        {"remote_data": {"externalId": "PRJ-9"}},
    ),
    ("teamleader", {"name": "Renamed"}, {"title": "Renamed"}, {"name": "Renamed"}),
    (
        "teamleader",
        {"name": "T", "description": "New text"},
        {"title": "T", "description": "New text"},
        {"description": "New text"},
    ),
    (
        "teamleader",
        {"name": "T", "amount": 5000, "currency": "EUR"},
        {"title": "T", "external_budget": {"amount": 5000, "currency": "EUR"}},
        {"amount": 5000.0, "currency": "EUR"},
    ),
    (
        "teamleader",
        {"name": "T", "amount": 7000},
        {"title": "T", "external_budget": {"amount": 7000, "currency": "EUR"}},
        {"amount": 7000.0, "currency": "EUR"},
    ),
    (
        "teamleader",
        {"name": "T", "remote_data": {"purchase_order_number": "PO-9"}},
        {"title": "T", "purchase_order_number": "PO-9"},
        {"remote_data": {"purchase_order_number": "PO-9"}},
    ),
]


@pytest.mark.parametrize(
    ("integration", "body", "wire", "expected"),
    SINGLE_FIELD_CASES,
    ids=[f"{c[0]}-{'+'.join(c[1])}-{i}" for i, c in enumerate(SINGLE_FIELD_CASES)],
)
def test_single_field_reaches_provider_and_comes_back(
    make_sandbox: SandboxFactory,
    integration: str,
    body: dict[str, Any],
    wire: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    sb = make_sandbox(integration)
    project = sb.update(body)

    writes = sb.writes()
    assert len(writes) == 1, writes
    assert writes[0] == sb.main_write()
    assert writes[0].json == sb.wire(wire)
    assert project.id == sb.pid
    assert_response(project, expected)


def test_capsule_full_update(capsule: Sandbox) -> None:
    project = capsule.update(
        {
            "name": "N",
            "description": "D",
            "status": "closed",
            "close_date": "2024-12-31",
            "account": {"id": "893"},
            "tags": [{"name": "VIP"}, {"name": "Brand new"}],
            "custom_fields": {"Budget": 15000, "Notes": "hello", "Kickoff date": None},
            "opportunity": [{"id": "8302"}],
        }
    )

    put = capsule.main_write()
    assert put.query == (("embed", "tags,fields,party"),)
    assert put.json == {
        "kase": {
            "name": "N",
            "description": "D",
            "status": "CLOSED",
            "expectedCloseOn": "2024-12-31",
            "party": {"id": 893},
            "tags": [{"name": "VIP"}, {"name": "Brand new"}, {"id": 501, "_delete": True}],
            "fields": [
                {"id": 9902, "value": 15000},
                {"definition": {"id": 81}, "value": "hello"},
                {"id": 9901, "_delete": True},
            ],
            "opportunity": {"id": 8302},
        }
    }
    assert isinstance(project, capsule_models.Project)
    assert project.model_dump(exclude={"remote_data"}, exclude_unset=True) == {
        "id": "12",
        "name": "N",
        "description": "D",
        "owner": {"id": "61", "name": "Alice Archer"},
        "account": {"id": "893", "name": "Globex Ltd"},
        "contact": [],
        "opportunity": [{"id": "8302", "name": "Support renewal"}],
        "stage": {"id": "149", "name": "Project Brief"},
        "status": "closed",
        "tags": [{"id": "502", "name": "VIP"}, {"id": "504", "name": "Brand new"}],
        "last_activity_at": "2024-01-30T15:00:00Z",
        "close_date": "2024-12-31T00:00:00Z",
        "created_at": "2024-01-08T09:30:00Z",
        "updated_at": FROZEN_NOW_ISO,
        "custom_fields": {"Budget": "15000", "Notes": "hello"},  # Capsule returns numbers as text,
    }
    assert project.remote_data is not None and project.remote_data["id"] == 12
    stored = provider_call(capsule, "GET", "/api/v2/kases/12", [("embed", "fields")])["kase"]
    assert [(f["definition"]["name"], f["value"]) for f in stored["fields"]] == [
        ("Budget", "15000"),
        ("Notes", "hello"),
    ]


def test_capsule_tags_keep_matching_and_delete_missing(capsule: Sandbox) -> None:
    capsule.update({"tags": [{"name": "Priority"}, {"name": "VIP"}]})
    assert capsule.main_write().json == {"kase": {"tags": [{"name": "VIP"}]}}

    # 501 is kept by id, "internal" matches no attached tag (case-insensitively it is 503,
    # which is not on this project), so it is added by name; 502 (VIP) is deleted.
    project = capsule.update({"tags": [{"id": "501"}, {"name": "internal"}]})
    assert capsule.main_write().json == {
        "kase": {"tags": [{"name": "internal"}, {"id": 502, "_delete": True}]}
    }
    assert project.tags is not None
    assert [(t.id, t.name) for t in project.tags] == [("501", "Priority"), ("503", "Internal")]


def test_capsule_custom_field_unknown_name_is_refused_before_writing(capsule: Sandbox) -> None:
    with pytest.raises(InvalidFieldValueError) as caught:
        capsule.update({"custom_fields": {"No such field": 1}})
    assert "custom_fields.No such field" in str(caught.value)
    assert caught.value.accepted == ["Billable", "Budget", "Kickoff date", "Notes", "Phase"]
    assert capsule.writes() == []


def test_insightly_full_update(insightly: Sandbox) -> None:
    project = insightly.update(
        {
            "name": "N",
            "description": "D",
            "status": "deferred",
            "close_date": "2024-12-31T10:00:00Z",
            "owner": {"id": "607182"},
            "custom_fields": {"Region__c": "APAC", "Kickoff__c": "2024-02-01"},
        }
    )

    put = insightly.main_write()
    assert put.json == {
        "PROJECT_ID": 1657941,
        "PROJECT_NAME": "N",
        "PROJECT_DETAILS": "D",
        "STATUS": "DEFERRED",
        "COMPLETED_DATE": "2024-12-31 10:00:00",
        "OWNER_USER_ID": 607182,
        "CUSTOMFIELDS": [
            {"FIELD_NAME": "Budget__c", "FIELD_VALUE": 12000},
            {"FIELD_NAME": "Region__c", "FIELD_VALUE": "APAC"},
            {"FIELD_NAME": "Kickoff__c", "FIELD_VALUE": "2024-02-01"},
        ],
    }
    assert isinstance(project, insightly_models.Project)
    assert project.model_dump(exclude={"remote_data"}, exclude_unset=True) == {
        "id": "1657941",
        "name": "N",
        "description": "D",
        "owner": {"id": "607182", "name": None},
        "opportunity": [{"id": "4070113", "name": None}],
        "stage": {"id": "5002", "name": None},
        "status": "deferred",
        "tags": [{"id": "Priority", "name": "Priority"}],
        "last_activity_at": "2024-01-30T15:00:00Z",
        "close_date": "2024-12-31T10:00:00Z",
        "created_at": "2024-01-08T09:30:00Z",
        "updated_at": FROZEN_NOW_ISO,
        "custom_fields": {"Budget__c": 12000, "Kickoff__c": "2024-02-01", "Region__c": "APAC"},
    }
    assert project.remote_data is not None
    assert project.remote_data["CUSTOMFIELDS"] == put.json["CUSTOMFIELDS"]


def test_insightly_custom_field_null_is_sent_as_a_null_value(insightly: Sandbox) -> None:
    # Sent whole, with the cleared field as FIELD_VALUE null: right whether Insightly replaces
    # or merges the list (undocumented).
    insightly.update({"custom_fields": {"Budget__c": None, "Kickoff__c": "2024-03-01"}})

    sent = insightly.main_write().json
    assert sent["PROJECT_ID"] == 1657941
    assert {f["FIELD_NAME"]: f["FIELD_VALUE"] for f in sent["CUSTOMFIELDS"]} == {
        "Budget__c": None,
        "Region__c": "EMEA",
        "Kickoff__c": "2024-03-01",
    }


def test_pipeliner_full_update(pipeliner: Sandbox) -> None:
    project = pipeliner.update(
        {
            "name": "N",
            "description": "D",
            "close_date": "2024-12-31",
            "owner": {"id": PIPE["clients"][1]},
            "account": {"id": PIPE["accounts"][1]},
            "remote_data": {"cf_region": "APAC"},
        }
    )

    patch = pipeliner.main_write()
    assert patch.json == {
        "name": "N",
        "description": "D",
        "end_date": "2024-12-31",
        "owner_id": PIPE["clients"][1],
        "account_id": PIPE["accounts"][1],
        "cf_region": "APAC",
    }
    assert isinstance(project, pipeliner_models.Project)
    assert project.model_dump(exclude={"remote_data"}, exclude_unset=True) == {
        "id": pipeliner.pid,
        "name": "N",
        "description": "D",
        "owner": {"id": PIPE["clients"][1], "name": None},
        "account": {"id": PIPE["accounts"][1], "name": None},
        "contact": [{"id": PIPE["contacts"][0], "name": None}],
        "status": "in progress",
        "close_date": "2024-12-31T00:00:00Z",
        "created_at": "2024-01-01T09:30:00Z",
        "updated_at": FROZEN_NOW_ISO,
        "custom_fields": {"cf_budget_code": "WEB-24", "cf_region": "APAC"},
    }
    assert project.remote_data is not None
    assert project.remote_data["cf_region"] == "APAC"
    assert project.remote_data["revision"] == 18


def test_planhat_full_update(planhat: Sandbox) -> None:
    project = planhat.update(
        {
            "name": "N",
            "account": {"id": PLAN["companies"][1]},
            "amount": 2500,
            "currency": "EUR",
            "custom_fields": {"Phase": "Launch", "Owner": "x"},
            "remote_data": {"externalId": "PRJ-9"},
        }
    )

    put = planhat.main_write()
    assert put.json == {
        "name": "N",
        "companyId": PLAN["companies"][1],
        "mrr": 2500,
        "currency": "EUR",
        # `custom` is sent whole: the current values merged with the caller's.
        "custom": {"Phase": "Launch", "Days in Phase": 12, "Products": ["Web"], "Owner": "x"},
        "externalId": "PRJ-9",
    }
    assert isinstance(project, planhat_models.Project)
    assert project.model_dump(exclude={"remote_data"}, exclude_unset=True) == {
        "id": planhat.pid,
        "name": "N",
        "amount": 2500.0,
        "currency": "EUR",
        "account": {"id": PLAN["companies"][1], "name": "Globex Ltd"},
        "created_at": "2024-01-08T09:30:00Z",
        "updated_at": FROZEN_NOW_ISO,
        "custom_fields": {
            "Days in Phase": 12,
            "Owner": "x",
            "Phase": "Launch",
            "Products": ["Web"],
        },
    }
    assert project.remote_data is not None
    assert project.remote_data["custom"] == put.json["custom"]
    assert project.remote_data["externalId"] == "PRJ-9"


def test_teamleader_full_update(teamleader: Sandbox) -> None:
    pid = teamleader.pid
    project = teamleader.update(
        {
            "name": "N",
            "description": "D",
            "amount": 5000,
            "currency": "EUR",
            "owner": {"id": TL["users"][1]},
            "account": {"id": TL["companies"][1]},
            "contact": [{"id": TL["contacts"][0]}, {"id": TL["contacts"][1]}],
            "opportunity": [{"id": TL["deals"][1]}],
        }
    )

    calls = [(r.path, r.json) for r in teamleader.writes()]
    assert calls == [
        (
            TL_API + "update",
            {
                "id": pid,
                "title": "N",
                "description": "D",
                "external_budget": {"amount": 5000, "currency": "EUR"},
            },
        ),
        (
            TL_API + "addCustomer",
            {"id": pid, "customer": {"type": "company", "id": TL["companies"][1]}},
        ),
        (
            TL_API + "removeCustomer",
            {"id": pid, "customer": {"type": "company", "id": TL["companies"][0]}},
        ),
        (
            TL_API + "addCustomer",
            {"id": pid, "customer": {"type": "contact", "id": TL["contacts"][0]}},
        ),
        (
            TL_API + "addCustomer",
            {"id": pid, "customer": {"type": "contact", "id": TL["contacts"][1]}},
        ),
        (TL_API + "addDeal", {"id": pid, "deal_id": TL["deals"][1]}),
        (TL_API + "removeDeal", {"id": pid, "deal_id": TL["deals"][0]}),
        (TL_API + "addOwner", {"id": pid, "user_id": TL["users"][1]}),
        (TL_API + "removeOwner", {"id": pid, "user_id": TL["users"][0]}),
    ]
    assert all(r.method == "POST" for r in teamleader.writes())
    assert isinstance(project, teamleader_models.Project)
    assert project.model_dump(exclude={"remote_data"}, exclude_unset=True) == {
        "id": pid,
        "name": "N",
        "description": "D",
        "amount": 5000.0,
        "currency": "EUR",
        "owner": {"id": TL["users"][1], "name": None},
        "account": {"id": TL["companies"][1], "name": None},
        "contact": [
            {"id": TL["contacts"][0], "name": None},
            {"id": TL["contacts"][1], "name": None},
        ],
        "opportunity": [{"id": TL["deals"][1], "name": None}],
        "status": "open",
        "close_date": "2024-06-30T00:00:00Z",
    }
    # Teamleader's update answers 204: the project is read back after the writes.
    assert teamleader.received[-1].path == TL_API + "info"


@pytest.mark.parametrize(
    ("body", "calls", "expected"),
    [
        (
            {"owner": {"id": TL["users"][2]}},
            [
                ("addOwner", {"user_id": TL["users"][2]}),
                ("removeOwner", {"user_id": TL["users"][0]}),
            ],
            {"owner": {"id": TL["users"][2], "name": None}},
        ),
        (
            {"owner": {"id": TL["users"][0]}},  # already the only owner: nothing to change
            [],
            {"owner": {"id": TL["users"][0], "name": None}},
        ),
        (
            {"account": {"id": TL["companies"][1]}},
            [
                ("addCustomer", {"customer": {"type": "company", "id": TL["companies"][1]}}),
                ("removeCustomer", {"customer": {"type": "company", "id": TL["companies"][0]}}),
            ],
            {"account": {"id": TL["companies"][1], "name": None}},
        ),
        (
            {"contact": [{"id": TL["contacts"][1]}]},
            [("addCustomer", {"customer": {"type": "contact", "id": TL["contacts"][1]}})],
            {
                "contact": [{"id": TL["contacts"][1], "name": None}],
                "account": {"id": TL["companies"][0], "name": None},
            },
        ),
        (
            {"opportunity": [{"id": TL["deals"][1]}]},
            [("addDeal", {"deal_id": TL["deals"][1]}), ("removeDeal", {"deal_id": TL["deals"][0]})],
            {"opportunity": [{"id": TL["deals"][1], "name": None}]},
        ),
    ],
    ids=["owner-change", "owner-same", "account", "contact", "opportunity"],
)
def test_teamleader_relations_become_separate_calls(
    teamleader: Sandbox,
    body: dict[str, Any],
    calls: list[tuple[str, dict[str, Any]]],
    expected: dict[str, Any],
) -> None:
    project = teamleader.update({"name": "Website rebuild", **body})

    writes = teamleader.writes()
    assert writes[0].path == TL_API + "update"
    assert writes[0].json == {"id": teamleader.pid, "title": "Website rebuild"}
    assert [(r.path, r.json) for r in writes[1:]] == [
        (TL_API + action, {"id": teamleader.pid, **payload}) for action, payload in calls
    ]
    # After the account's module check, the current project is read first (to diff against
    # it) and read back at the end.
    assert [r.path for r in teamleader.received[:2]] == [TL_MODULE_CHECK, TL_API + "info"]
    assert_response(project, expected)
