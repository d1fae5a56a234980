"""`projects.fields()`: supported unified fields per operation plus the account's custom fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import INTEGRATIONS, Sandbox
from unifold import Unifold, UnknownAccountError
from unifold.generated.crm.registry import load

# name -> (type, options, required) as each sandbox account describes its project fields.
EXPECTED = {
    "capsule": {
        "Kickoff date": ("date", [], None),
        "Budget": ("number", [], None),
        "Billable": ("boolean", [], None),
        "Phase": ("list", ["Discovery", "Build"], None),
        "Notes": ("text", [], None),
    },
    "insightly": {
        "Budget__c": ("NUMERIC", [], None),
        "Region__c": ("DROPDOWN", ["EMEA", "APAC", "AMER"], None),
        "Kickoff__c": ("DATE", [], None),
    },
    "pipeliner": {  # system fields (name, end_date) and another entity's cf_segment are left out
        "cf_budget_code": ("input", [], None),
        "cf_region": ("dropdown", ["EMEA", "APAC"], None),
    },
    "planhat": {  # a Company field is left out
        "Phase": ("list", ["Build", "Launch", "Done"], False),
        "Days in Phase": ("number", [], False),
        "Products": ("multipicklist", ["Web", "App"], True),
    },
    "teamleader": {
        "PO number": ("single_line", [], False),
        "Hours sold": ("number", [], False),
        "Billable": ("yes_no", [], True),
        "Phase": ("multiple_choice", ["Design", "Build", "Launch"], False),
    },
}


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_fields_lists_supported_fields_and_the_accounts_custom_fields(
    make_sandbox: Any, integration: str
) -> None:
    box: Sandbox = make_sandbox(integration)
    fields = box.client.crm.projects.fields(integrated_account_id=box.account.id)
    assert fields.integration == integration
    assert fields.operations == load(integration).SPEC.support()["projects"]
    if integration == "capsule":  # the table's content itself: test_generated_models.py
        assert fields.operations["update"]["request"]["contact"]["max_items"] == 1
    assert set(fields.operations["update"]["request"]) >= {"name"}
    described = {f.name: (f.type, f.options, f.required) for f in fields.custom_fields}
    assert described == EXPECTED.get(integration, {})  # none: the matrix reads no definitions
    assert all(f.remote_data for f in fields.custom_fields)  # the provider's own description


def test_fields_are_cached_then_read_again(capsule: Sandbox) -> None:
    projects = capsule.client.crm.projects
    acct = capsule.account.id
    first = projects.fields(integrated_account_id=acct)
    calls = len(capsule.received)
    assert calls == 1
    assert projects.fields(integrated_account_id=acct) is first  # cached: no request
    assert len(capsule.received) == calls
    refreshed = projects.fields(integrated_account_id=acct, refresh=True)
    assert len(capsule.received) == calls + 1 and refreshed is not first
    capsule.client._core.fields_cache.ttl = 0.0  # expired at once
    projects.fields(integrated_account_id=acct)
    assert len(capsule.received) == calls + 2


async def test_async_fields(make_async_sandbox: Any) -> None:
    box = make_async_sandbox("planhat")
    fields = await box.client.crm.projects.fields(integrated_account_id=box.account.id)
    assert [f.name for f in fields.custom_fields] == list(EXPECTED["planhat"])
    assert box.received[-1].path == "/customfields"


def test_fields_are_read_again_after_the_account_changes(capsule: Sandbox) -> None:
    projects, accounts = capsule.client.crm.projects, capsule.client.accounts
    acct = capsule.account.id
    first = projects.fields(integrated_account_id=acct)
    accounts.update(acct, credentials=dict(capsule.account.credentials))  # e.g. another user
    assert projects.fields(integrated_account_id=acct) is not first
    accounts.delete(acct)
    with pytest.raises(UnknownAccountError):
        projects.fields(integrated_account_id=acct)
    assert acct not in capsule.client._core.fields_cache._entries  # nothing kept for it


def test_fields_are_read_again_after_another_client_changes_the_account(tmp_path: Path) -> None:
    store = tmp_path / "shared.sqlite3"
    with Unifold(store=store) as one, Unifold(store=store) as other:
        account = one.accounts.create("capsule", environment="sandbox")
        first = one.crm.projects.fields(integrated_account_id=account.id)
        assert one.crm.projects.fields(integrated_account_id=account.id) is first
        other.accounts.update(account.id, params={})  # saved by someone else: a new version
        assert one.crm.projects.fields(integrated_account_id=account.id) is not first


def test_fields_unknown_account(capsule: Sandbox) -> None:
    with pytest.raises(UnknownAccountError):
        capsule.client.crm.projects.fields(integrated_account_id="nope")


def test_every_page_of_definitions_is_read(teamleader: Sandbox) -> None:
    # Teamleader pages in the body (page.size <= 100), read until a short page.
    definitions = teamleader.provider._definitions  # type: ignore[attr-defined]
    for n in range(150):
        ident = f"cf000000-0000-4000-8000-{n:012x}"
        definitions[ident] = {"type": "single_line", "label": f"Extra {n}", "required": False}
    fields = teamleader.client.crm.projects.fields(integrated_account_id=teamleader.account.id)
    assert len(fields.custom_fields) == 154
    pages = [r for r in teamleader.received if r.path == "/customFieldDefinitions.list"]
    assert [r.json["page"] for r in pages] == [
        {"size": 100, "number": 1},
        {"size": 100, "number": 2},
    ]
    assert len({f.name for f in fields.custom_fields}) == 154
