"""Provider facts the 2026-12-01 audit found wrong (issue 11, findings 1-5 and 8), each pinned
against the emulator, which now follows the provider's documented behaviour."""

from __future__ import annotations

from typing import Any

import pytest

from unifold import (
    InvalidFieldValueError,
    ProviderError,
    ProviderValidationError,
    UnsupportedModuleError,
)
from unifold._engine.connector import load_connector
from unifold._engine.http import Endpoint, ProviderRequest, ProviderResponse

from .conftest import REFS, Sandbox, provider_call

TL = REFS["teamleader"]


# ---------------------------------------------------------------- 1. Capsule definitions paged


def test_capsule_custom_field_past_the_first_page_is_found(capsule: Sandbox) -> None:
    for n in range(120):
        capsule.provider.define_field(f"Extra {n:03d}")  # type: ignore[attr-defined]

    late = max(capsule.provider._definitions)  # type: ignore[attr-defined]
    capsule.update({"custom_fields": {"Extra 119": "late"}})

    assert capsule.main_write().json == {
        "kase": {"fields": [{"definition": {"id": late}, "value": "late"}]}
    }
    pages = [r for r in capsule.received if r.path.endswith("/kases/fields/definitions")]
    # 125 definitions at the maximum page size of 100: two pages, following Link rel=next.
    assert [dict(r.query) for r in pages] == [
        {"perPage": "100", "page": "1"},
        {"perPage": "100", "page": "2"},
    ]


def test_capsule_emulator_pages_definitions_at_50_by_default(capsule: Sandbox) -> None:
    for n in range(60):
        capsule.provider.define_field(f"Extra {n:03d}")  # type: ignore[attr-defined]
    body = provider_call(capsule, "GET", "/api/v2/kases/fields/definitions")
    assert len(body["definitions"]) == 50


# ---------------------------------------------------------------- 2. Insightly status meanings


def _insightly_error(status: int, label: str = "DELETE project 1") -> ProviderError:
    conn = load_connector("insightly")
    endpoint = Endpoint("insightly", "https://api.na1.insightly.com/v3.1", "x", conn.provider)
    request = ProviderRequest(label, "DELETE", "/Projects/1")
    return endpoint.error(request, ProviderResponse(status, {}, b""))


def test_insightly_417_is_a_failed_delete_not_a_validation_error() -> None:
    error = _insightly_error(417)
    assert not isinstance(error, ProviderValidationError)
    assert "Delete failed" in error.message


def test_insightly_402_is_the_record_limit() -> None:
    error = _insightly_error(402, "POST /Projects")
    assert not isinstance(error, ProviderValidationError)
    assert "Record limit reached" in error.message


def test_insightly_400_is_validation() -> None:
    assert isinstance(_insightly_error(400, "PUT /Projects"), ProviderValidationError)


# ---------------------------------------------------------------- 3. Teamleader create owner


def test_teamleader_create_with_an_owner_reads_back_that_owner(teamleader: Sandbox) -> None:
    wanted = TL["users"][1]  # the sandbox token belongs to users[0], who is added as owner
    project = teamleader.client.crm.projects.create(
        {"name": "Owned", "owner": {"id": wanted}},
        integrated_account_id=teamleader.account.id,
    )
    assert project.owner is not None and project.owner.id == wanted
    assert [o["id"] for o in project.remote_data["owners"]] == [wanted]


def test_teamleader_create_with_the_api_user_as_owner_keeps_one_owner(
    teamleader: Sandbox,
) -> None:
    me = TL["users"][0]
    project = teamleader.client.crm.projects.create(
        {"name": "Mine", "owner": {"id": me}}, integrated_account_id=teamleader.account.id
    )
    assert [o["id"] for o in project.remote_data["owners"]] == [me]
    assert not any(r.path.endswith("removeOwner") for r in teamleader.received)


# ---------------------------------------------------------------- 4. Teamleader amount


def _body(teamleader: Sandbox) -> dict[str, Any]:
    return dict(teamleader.writes()[-1].json)


def test_teamleader_amount_on_a_fixed_price_project_writes_fixed_price(
    teamleader: Sandbox,
) -> None:
    pid = teamleader.provider.put_project(  # type: ignore[attr-defined]
        {
            "title": "Fixed",
            "billing_method": "fixed_price",
            "fixed_price": {"amount": 10, "currency": "EUR"},
        }
    )
    project = teamleader.update({"name": "Fixed", "amount": 2500}, project_id=pid)
    assert project.amount == 2500
    assert _body(teamleader)["fixed_price"] == {"amount": 2500, "currency": "EUR"}
    assert "external_budget" not in _body(teamleader)


def test_teamleader_amount_on_time_and_materials_writes_external_budget(
    teamleader: Sandbox,
) -> None:
    project = teamleader.update({"name": "Website rebuild", "amount": 900})
    assert project.amount == 900
    assert _body(teamleader)["external_budget"] == {"amount": 900, "currency": "EUR"}


def test_teamleader_amount_on_a_non_billable_project_is_refused(teamleader: Sandbox) -> None:
    pid = teamleader.provider.put_project(  # type: ignore[attr-defined]
        {"title": "Free", "billing_method": "non_billable"}
    )
    with pytest.raises(InvalidFieldValueError) as caught:
        teamleader.update({"name": "Free", "amount": 10}, project_id=pid)
    assert "non_billable" in caught.value.message
    assert caught.value.field == "amount"
    assert teamleader.writes() == []  # refused before anything was written


def test_teamleader_emulator_refuses_a_budget_the_billing_method_cannot_hold(
    teamleader: Sandbox,
) -> None:
    pid = teamleader.provider.put_project(  # type: ignore[attr-defined]
        {"title": "Fixed", "billing_method": "fixed_price"}
    )
    with pytest.raises(ProviderValidationError):
        teamleader.update(
            {"name": "Fixed", "remote_data": {"external_budget": {"amount": 1, "currency": "EUR"}}},
            project_id=pid,
        )


# ---------------------------------------------------------------- 5. last owner


def test_teamleader_emulator_refuses_removing_the_last_owner(teamleader: Sandbox) -> None:
    response = teamleader.provider.handle(
        "POST",
        "/projects-v2/projects.removeOwner",
        [],
        {"authorization": "Bearer " + teamleader.provider.credentials["access_token"]},
        b'{"id": "%s", "user_id": "%s"}' % (teamleader.pid.encode(), TL["users"][0].encode()),
    )
    assert response.status == 400, response.body
    assert teamleader.get().owner.id == TL["users"][0]


# ---------------------------------------------------------------- 8. legacy projects module


def test_teamleader_legacy_account_is_refused_before_any_project_call(
    teamleader: Sandbox,
) -> None:
    teamleader.provider.projects_module = "legacy"  # type: ignore[attr-defined]
    with pytest.raises(UnsupportedModuleError) as caught:
        teamleader.update({"name": "X"})
    assert "legacy" in caught.value.message
    assert [r.path for r in teamleader.received] == ["/accounts.projects-v2-status"]


def test_teamleader_module_is_asked_once_per_account(teamleader: Sandbox) -> None:
    teamleader.get()
    teamleader.get()
    asked = [r for r in teamleader.received if r.path == "/accounts.projects-v2-status"]
    assert len(asked) == 1
