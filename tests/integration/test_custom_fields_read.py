"""Custom fields on reads: `Project.custom_fields`, keyed as `update` takes them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Sandbox

# A value each writing integration accepts, and how it reads back (Capsule returns numbers as
# text: developer.capsulecrm.com/v2/models/field, "value" of a NUMBER field).
WRITTEN = {
    "capsule": ({"Budget": 4200, "Phase": "Build"}, {"Budget": "4200", "Phase": "Build"}),
    "insightly": ({"Kickoff__c": "2024-05-01"}, {"Kickoff__c": "2024-05-01"}),
    "planhat": ({"Phase": "Launch", "Health": 7}, {"Phase": "Launch", "Health": 7}),
}


@pytest.mark.parametrize("integration", sorted(WRITTEN))
def test_a_custom_field_written_by_update_reads_back(make_sandbox: Any, integration: str) -> None:
    box: Sandbox = make_sandbox(integration)
    written, expected = WRITTEN[integration]
    updated = box.update({"custom_fields": written})
    assert updated.custom_fields is not None
    assert expected.items() <= updated.custom_fields.items()
    again = box.get()
    assert expected.items() <= again.custom_fields.items()
    listed = {p.id: p for p in box.client.crm.projects.iter(integrated_account_id=box.account.id)}
    assert expected.items() <= listed[box.pid].custom_fields.items()
    # The unified dict of another project does not pick them up.
    others = [p for pid, p in listed.items() if pid != box.pid]
    assert all(not (expected.items() <= (p.custom_fields or {}).items()) for p in others)


def test_cleared_custom_field_is_gone_on_read(capsule: Sandbox) -> None:
    capsule.update({"custom_fields": {"Notes": "keep me"}})
    assert capsule.get().custom_fields["Notes"] == "keep me"
    capsule.update({"custom_fields": {"Notes": None}})
    assert "Notes" not in capsule.get().custom_fields


def test_pipeliner_reads_its_flat_custom_keys(pipeliner: Sandbox) -> None:
    project = pipeliner.get()
    assert project.custom_fields == {"cf_budget_code": "WEB-24", "cf_region": "EMEA"}
    assert "custom_fields" in project.model_dump(exclude_unset=True)


def test_teamleader_has_no_unified_custom_fields(teamleader: Sandbox) -> None:
    from unifold.generated.crm import teamleader as generated

    # Inherited from the unified Project base (reads as None), but never mapped or returned.
    assert "custom_fields" not in generated.Project.__annotations__
    project = teamleader.get()
    assert project.custom_fields is None
    assert "custom_fields" not in project.model_dump(exclude_unset=True)
