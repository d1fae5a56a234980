"""PATCH semantics: an omitted field is left alone, null clears it where the provider can, and
null is refused up front (nothing sent) where the matrix says the field cannot be cleared."""

from __future__ import annotations

from typing import Any

import pytest

from unifold import InvalidFieldValueError, UnifoldValidationError
from unifold._matrix import Matrix, WriteField
from unifold.generated.crm.registry import load
from unifold.sandbox import SEED_PROJECT_IDS

from .conftest import INTEGRATIONS, RAW_NAME_KEY, Sandbox, SandboxFactory, needs_name


def update_fields(integration: str) -> dict[str, WriteField]:
    spec = load(integration).SPEC
    assert isinstance(spec, Matrix)
    return spec.resources["projects"].operations["update"].fields


NOT_NULLABLE = [
    (integration, field, spec.not_nullable_reason)
    for integration in INTEGRATIONS
    for field, spec in update_fields(integration).items()
    if not spec.nullable
]

# Fields mapped straight onto one provider key (no hook) that the matrix lets callers clear.
NULLABLE_DIRECT = [
    (integration, field, spec.to)
    for integration in INTEGRATIONS
    for field, spec in update_fields(integration).items()
    if spec.nullable and spec.to and not spec.hook and not spec.merge
]


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_omitted_fields_are_not_sent_and_stay_unchanged(
    make_sandbox: SandboxFactory, integration: str
) -> None:
    sb = make_sandbox(integration)
    before = sb.get().model_dump(exclude={"name", "updated_at", "remote_data"})

    sb.update(needs_name(integration, {"name": "Only the name"}))

    assert sb.main_write().json == sb.wire({RAW_NAME_KEY[integration]: "Only the name"})
    after = sb.get()
    assert after.name == "Only the name"
    assert after.model_dump(exclude={"name", "updated_at", "remote_data"}) == before


# (integration, seed project index, unified field, provider fields sent, cleared response value)
CLEAR_CASES: list[tuple[str, int, str, dict[str, Any], Any]] = [
    ("capsule", 0, "description", {"description": None}, None),
    ("capsule", 0, "close_date", {"expectedCloseOn": None}, None),
    ("capsule", 0, "opportunity", {"opportunity": None}, []),
    ("insightly", 0, "description", {"PROJECT_DETAILS": None}, None),
    ("insightly", 2, "close_date", {"COMPLETED_DATE": None}, None),
    ("pipeliner", 0, "description", {"description": None}, None),
    ("pipeliner", 0, "account", {"account_id": None}, None),
    ("planhat", 0, "amount", {"mrr": None}, None),
    ("planhat", 0, "currency", {"currency": None}, None),
    ("teamleader", 0, "description", {"title": "Required title", "description": None}, None),
    ("teamleader", 0, "amount", {"title": "Required title", "external_budget": None}, None),
]


@pytest.mark.parametrize(
    ("integration", "index", "field", "wire", "cleared"),
    CLEAR_CASES,
    ids=[f"{c[0]}-{c[2]}" for c in CLEAR_CASES],
)
def test_null_is_sent_as_null_and_clears(
    make_sandbox: SandboxFactory,
    integration: str,
    index: int,
    field: str,
    wire: dict[str, Any],
    cleared: Any,
) -> None:
    sb = make_sandbox(integration)
    pid = SEED_PROJECT_IDS[integration][index]
    assert getattr(sb.get(pid), field) not in (None, [])  # there is something to clear

    project = sb.update(needs_name(integration, {field: None}), project_id=pid)

    assert sb.writes()[-1].json == sb.wire(wire, project_id=pid)
    assert getattr(project, field) == cleared
    assert getattr(sb.get(pid), field) == cleared


@pytest.mark.parametrize(
    ("integration", "field", "to"),
    NULLABLE_DIRECT,
    ids=[f"{c[0]}-{c[1]}" for c in NULLABLE_DIRECT],
)
def test_every_field_the_matrix_calls_nullable_can_be_cleared(
    make_sandbox: SandboxFactory, integration: str, field: str, to: str
) -> None:
    sb = make_sandbox(integration)

    project = sb.update(needs_name(integration, {field: None}))

    sent = sb.main_write().json
    sent = sent["kase"] if integration == "capsule" else sent
    assert to in sent and sent[to] is None
    assert getattr(project, field, None) is None


@pytest.mark.parametrize(
    ("integration", "field", "reason"),
    NOT_NULLABLE,
    ids=[f"{c[0]}-{c[1]}" for c in NOT_NULLABLE],
)
def test_null_on_a_not_nullable_field_is_refused_before_sending(
    make_sandbox: SandboxFactory, integration: str, field: str, reason: str
) -> None:
    sb = make_sandbox(integration)
    body = {field: None} if field == "name" else needs_name(integration, {field: None})

    with pytest.raises(UnifoldValidationError) as caught:
        sb.update(body)

    error = caught.value
    assert isinstance(error, InvalidFieldValueError)
    assert error.field == field
    assert error.integration == integration
    assert field in error.message and integration in error.message
    # The matrix's reason is what tells the caller why null is not possible.
    assert reason in error.message, error.message
    assert error.to_dict()["truto_error_insight"]["invalid_body_fields"]["value"] == [field]
    assert error.to_dict()["statusCode"] == 400
    assert sb.received == []


@pytest.mark.parametrize(
    ("integration", "body", "field"),
    [
        ("capsule", {"custom_fields": None}, "custom_fields"),
        ("insightly", {"custom_fields": None}, "custom_fields"),
        ("planhat", {"custom_fields": None}, "custom_fields"),
    ],
    ids=[
        "capsule-cf",
        "insightly-cf",
        "planhat-cf",
    ],
)
def test_nulls_a_hook_cannot_write_are_refused_without_writing(
    make_sandbox: SandboxFactory, integration: str, body: dict[str, Any], field: str
) -> None:
    sb = make_sandbox(integration)
    with pytest.raises(InvalidFieldValueError) as caught:
        sb.update(body)
    assert caught.value.field == field
    assert field in caught.value.message and integration in caught.value.message
    assert sb.writes() == []


def test_capsule_contact_empty_with_account_sets_the_account(capsule: Sandbox) -> None:
    project = capsule.update({"account": {"id": "893"}, "contact": []})
    assert capsule.main_write().json == {"kase": {"party": {"id": 893}}}
    assert project.account is not None and project.account.id == "893"
    assert project.contact == []


@pytest.mark.parametrize("cleared", [None, []])
def test_capsule_contact_cannot_clear_a_person_main_party(
    make_sandbox: SandboxFactory, cleared: Any
) -> None:
    sb = make_sandbox("capsule")
    # The seed project's main party is an organisation: no contact person, so [] is a no-op.
    assert sb.update({"contact": cleared}).account is not None
    person = sb.update({"contact": [{"id": "894"}]})
    assert [c.id for c in person.contact] == ["894"] and person.account is None
    writes = len(sb.writes())
    with pytest.raises(InvalidFieldValueError) as caught:
        sb.update({"contact": cleared})
    assert caught.value.field == "contact" and "party is required" in caught.value.message
    assert len(sb.writes()) == writes
    # Replacing the person with an account is the way to drop the contact.
    assert sb.update({"contact": cleared, "account": {"id": "893"}}).contact == []
