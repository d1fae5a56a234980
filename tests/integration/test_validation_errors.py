"""unifold's own errors: raised before anything is sent to the provider."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from unifold import (
    DroppedFieldsWarning,
    InvalidEnumValueError,
    InvalidFieldValueError,
    InvalidIdError,
    InvalidParameterError,
    MissingRequiredFieldError,
    Unifold,
    UnknownAccountError,
    UnsupportedFieldError,
)

from .conftest import INTEGRATIONS, PROJECT, RAW_NAME_KEY, SandboxFactory, needs_name


def supported_update_fields(integration: str) -> list[str]:
    module = importlib.import_module(f"unifold.generated.crm.{integration}")
    return sorted(module.SPEC.support()["projects"]["update"]["request"])


UNSUPPORTED = [
    ("capsule", "owner", {"id": "61"}),
    ("insightly", "account", {"id": "35343476"}),
    ("pipeliner", "tags", [{"name": "VIP"}]),
    ("planhat", "description", "Not a Planhat field"),
    ("teamleader", "status", "closed"),
]


@pytest.mark.parametrize(("integration", "field", "value"), UNSUPPORTED)
def test_unsupported_field_is_refused(
    make_sandbox: SandboxFactory, integration: str, field: str, value: Any
) -> None:
    sb = make_sandbox(integration)
    with pytest.raises(UnsupportedFieldError) as caught:
        sb.update(needs_name(integration, {field: value}))

    error = caught.value
    supported = supported_update_fields(integration)
    assert field not in supported
    assert (error.field, error.fields, error.integration) == (field, [field], integration)
    assert error.accepted == supported
    assert field in error.message and integration in error.message
    for name in supported:
        assert name in error.message
    assert error.to_dict()["truto_error_insight"]["unsupported_body_fields"]["value"] == [field]
    assert error.to_dict()["statusCode"] == 400
    assert "truto_is_remote_error" not in error.to_dict()  # our error, not the provider's
    assert sb.received == []


def test_field_that_is_not_unified_at_all_is_named_as_such(make_sandbox: SandboxFactory) -> None:
    sb = make_sandbox("capsule")
    with pytest.raises(UnsupportedFieldError) as caught:
        sb.update({"name": "x", "colour": "red", "owner": {"id": "61"}})
    assert caught.value.fields == ["colour", "owner"]
    assert "colour is not a unified ProjectUpdate field" in caught.value.message
    assert sb.received == []


@pytest.mark.parametrize(("integration", "field", "value"), UNSUPPORTED)
def test_on_unsupported_drop_drops_and_warns(
    make_sandbox: SandboxFactory, integration: str, field: str, value: Any
) -> None:
    sb = make_sandbox(integration)
    body = needs_name(integration, {"name": "Kept", field: value})

    with pytest.warns(DroppedFieldsWarning, match=field):
        project = sb.update(body, on_unsupported="drop")

    assert sb.main_write().json == sb.wire({RAW_NAME_KEY[integration]: "Kept"})
    assert project.name == "Kept"
    assert len(project.warnings) == 1
    assert field in project.warnings[0] and integration in project.warnings[0]

    with pytest.warns(DroppedFieldsWarning):
        normalized = sb.update(body, on_unsupported="drop", response_format="normalized")
    assert normalized.warnings == project.warnings
    assert normalized["name"] == "Kept"
    # raw has no place for notes: the warning is the report.
    with pytest.warns(DroppedFieldsWarning, match=field):
        raw = sb.update(body, on_unsupported="drop", response_format="raw")
    assert raw is not None


def test_invalid_on_unsupported_value(make_sandbox: SandboxFactory) -> None:
    sb = make_sandbox("capsule")
    with pytest.raises(InvalidParameterError) as caught:
        sb.update({"name": "x"}, on_unsupported="ignore")
    assert caught.value.accepted == ["error", "drop"]
    assert sb.received == []


@pytest.mark.parametrize("body", [{}, {"description": "no title"}, {"owner": {"id": "x"}}])
def test_teamleader_requires_name(make_sandbox: SandboxFactory, body: dict[str, Any]) -> None:
    sb = make_sandbox("teamleader")
    with pytest.raises(MissingRequiredFieldError) as caught:
        sb.update(body)

    error = caught.value
    assert (error.field, error.fields, error.integration) == ("name", ["name"], "teamleader")
    assert "name" in error.message and "teamleader" in error.message
    assert error.to_dict()["truto_error_insight"]["missing_required_body_fields"]["value"] == [
        "name"
    ]
    assert sb.received == []


@pytest.mark.parametrize(
    ("integration", "value", "accepted"),
    [
        ("capsule", "deferred", ["closed", "open"]),
        ("capsule", "OPEN", ["closed", "open"]),
        (
            "insightly",
            "open",
            ["abandoned", "cancelled", "completed", "deferred", "in progress", "not started"],
        ),
    ],
)
def test_wrong_enum_value_lists_accepted_values(
    make_sandbox: SandboxFactory, integration: str, value: str, accepted: list[str]
) -> None:
    sb = make_sandbox(integration)
    with pytest.raises(InvalidEnumValueError) as caught:
        sb.update({"status": value})

    error = caught.value
    assert (error.field, error.integration) == ("status", integration)
    assert sorted(error.accepted) == accepted
    assert repr(value) in error.message
    for allowed in accepted:
        assert repr(allowed) in error.message
    assert error.to_dict()["truto_error_insight"]["invalid_enum_values"]["value"] == ["status"]
    assert sb.received == []


BAD_IDS = {
    "capsule": ["abc", "12a", "-1", "1" * 20],
    "insightly": ["abc", "1.5", ""],
    "pipeliner": ["12", PROJECT["pipeliner"] + "0", PROJECT["pipeliner"].replace("-", "")],
    "planhat": ["12", PROJECT["planhat"][:-1], "extid-a/b", "name-PRJ-1001"],
    "teamleader": ["12", PROJECT["teamleader"][:-1] + "g"],
}
HOSTILE_IDS = ["../parties/1", "1?x=y", "12/../13", "12#x", "12\n", " 12", "%2e%2e"]


@pytest.mark.parametrize(
    ("integration", "project_id"),
    [(i, bad) for i in INTEGRATIONS for bad in (*BAD_IDS.get(i, ()), *HOSTILE_IDS)],
)
def test_bad_project_id_is_refused(
    make_sandbox: SandboxFactory, integration: str, project_id: str
) -> None:
    sb = make_sandbox(integration)
    with pytest.raises(InvalidIdError) as caught:
        sb.update(needs_name(integration, {"name": "x"}), project_id=project_id)

    error = caught.value
    assert (error.field, error.integration) == ("id", integration)
    assert repr(project_id) in error.message
    assert error.to_dict()["truto_error_insight"]["invalid_path_parameters"]["value"] == ["id"]
    assert sb.received == []


@pytest.mark.parametrize("project_id", ["extid-PRJ-1001", "srcid-src-1001"])
def test_planhat_keyable_ids_are_accepted(make_sandbox: SandboxFactory, project_id: str) -> None:
    sb = make_sandbox("planhat")
    project = sb.update({"name": "By key"}, project_id=project_id)
    assert sb.received[-1].path == f"/projects/{project_id}"
    assert (project.id, project.name) == (PROJECT["planhat"], "By key")


@pytest.mark.parametrize("project_id", [12, None, b"12"])
def test_non_string_project_id_is_refused(make_sandbox: SandboxFactory, project_id: Any) -> None:
    sb = make_sandbox("capsule")
    with pytest.raises(InvalidIdError):
        sb.client.crm.projects.update(
            project_id, {"name": "x"}, integrated_account_id=sb.account.id
        )
    assert sb.received == []


@pytest.mark.parametrize(
    ("integration", "body", "field"),
    [
        ("capsule", {"account": {"id": "abc"}}, "account.id"),
        ("capsule", {"contact": [{"id": "894"}, {"id": "892"}]}, "contact"),
        ("capsule", {"opportunity": [{"id": "8301"}, {"id": "8302"}]}, "opportunity"),
        ("capsule", {"account": {"id": "892"}, "contact": [{"id": "894"}]}, "contact"),
        ("capsule", {"name": 12}, "name"),
        ("insightly", {"owner": {"id": "abc"}}, "owner.id"),
        ("teamleader", {"name": "x", "opportunity": [{"id": "not-a-uuid"}]}, "opportunity.0.id"),
        ("planhat", {"amount": "a lot"}, "amount"),
        ("teamleader", {"name": "x", "amount": None, "currency": "EUR"}, "currency"),
    ],
)
def test_invalid_values_are_refused_before_sending(
    make_sandbox: SandboxFactory, integration: str, body: dict[str, Any], field: str
) -> None:
    sb = make_sandbox(integration)
    with pytest.raises(InvalidFieldValueError) as caught:
        sb.update(body)
    assert caught.value.field == field
    assert caught.value.message.startswith(field)
    assert integration in caught.value.message
    assert sb.writes() == []


def test_a_capsule_project_needs_a_main_party_before_anything_is_sent(
    make_sandbox: SandboxFactory,
) -> None:
    sb = make_sandbox("capsule")
    with pytest.raises(InvalidFieldValueError) as caught:
        sb.client.crm.projects.create({"name": "No party"}, integrated_account_id=sb.account.id)
    assert caught.value.field == "account" and "main party" in caught.value.message
    assert sb.received == []


def test_a_capsule_tag_without_id_or_name_is_refused_before_the_current_project_is_read(
    make_sandbox: SandboxFactory,
) -> None:
    sb = make_sandbox("capsule")
    with pytest.raises(InvalidFieldValueError) as caught:
        sb.update({"tags": [{"id": None, "name": ""}]})
    assert caught.value.field == "tags.0"
    assert sb.received == []


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"account": {"name": "no id"}}, "account.id"),
        ({"contact": [{"id": "894"}, {}]}, "contact.1.id"),
        ({"tags": [{"id": 1}]}, "tags.0.id"),
        ({"close_date": "not a date"}, "close_date"),
        ({"close_date": "2024-12-31T10:00:00"}, "close_date"),  # no timezone
    ],
)
def test_invalid_value_error_names_the_path_in_the_body(
    make_sandbox: SandboxFactory, body: dict[str, Any], path: str
) -> None:
    sb = make_sandbox("capsule")
    with pytest.raises(InvalidFieldValueError) as caught:
        sb.update(body)
    assert caught.value.field == path
    assert caught.value.to_dict()["truto_error_insight"]["invalid_body_fields"]["value"] == [path]
    assert sb.received == []


def test_unknown_account(client: Unifold, make_sandbox: SandboxFactory) -> None:
    sb = make_sandbox("capsule")
    with pytest.raises(UnknownAccountError) as caught:
        client.crm.projects.update("12", {"name": "x"}, integrated_account_id="no-such-account")

    assert "no-such-account" in caught.value.message
    assert caught.value.to_dict() == {
        "statusCode": 404,
        "error": "Not Found",
        "message": caught.value.message,
    }
    assert sb.received == []


def test_deleted_account_is_unknown(make_sandbox: SandboxFactory) -> None:
    sb = make_sandbox("planhat")
    sb.client.accounts.delete(sb.account.id)
    with pytest.raises(UnknownAccountError):
        sb.update({"name": "x"})
    assert sb.received == []


def test_account_of_another_client_is_unknown(make_sandbox: SandboxFactory) -> None:
    sb = make_sandbox("capsule")
    with Unifold(store=":memory:") as other:
        with pytest.raises(UnknownAccountError):
            other.crm.projects.update("12", {"name": "x"}, integrated_account_id=sb.account.id)
    assert sb.received == []
