"""The body can be a dict, the unified `ProjectUpdate` or the integration's own `ProjectUpdate`;
all three reach the provider identically."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from unifold import UnsupportedFieldError
from unifold.generated.crm import models

from .conftest import INTEGRATIONS, REFS, SandboxFactory

BODIES: dict[str, dict[str, Any]] = {
    "capsule": {
        "name": "Typed",
        "description": None,
        "status": "closed",
        "close_date": "2024-12-31T10:00:00Z",
        "opportunity": [{"id": "8302"}],
    },
    "insightly": {
        "name": "Typed",
        "status": "completed",
        "close_date": "2024-12-31T10:00:00Z",
        "owner": {"id": "607183"},
    },
    "pipeliner": {
        "name": "Typed",
        "account": None,
        "close_date": "2024-12-31T10:00:00Z",
        "owner": {"id": REFS["pipeliner"]["clients"][2]},
    },
    "planhat": {"name": "Typed", "amount": 99.5, "currency": "GBP", "remote_data": {"arr": 1}},
    "teamleader": {
        "name": "Typed",
        "description": None,
        "amount": 300,
        "opportunity": [],
    },
}


def as_body(kind: str, integration: str, data: dict[str, Any]) -> Any:
    if kind == "dict":
        return dict(data)
    if kind == "unified":
        return models.ProjectUpdate(**data)
    module = importlib.import_module(f"unifold.generated.crm.{integration}")
    return module.ProjectUpdate(**data)


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_dict_unified_and_integration_models_send_the_same_request(
    make_sandbox: SandboxFactory, integration: str
) -> None:
    sent = {}
    returned = {}
    for kind in ("dict", "unified", "integration"):
        sb = make_sandbox(integration)
        project = sb.update(as_body(kind, integration, BODIES.get(integration, {"name": "Typed"})))
        sent[kind] = [(r.method, r.path, r.query, r.json) for r in sb.writes()]
        returned[kind] = project.model_dump()

    assert sent["dict"], "nothing was written"
    assert sent["unified"] == sent["dict"]
    assert sent["integration"] == sent["dict"]
    assert returned["unified"] == returned["dict"]
    assert returned["integration"] == returned["dict"]
    assert returned["dict"]["name"] == "Typed"


@pytest.mark.parametrize("kind", ["unified", "integration"])
def test_models_keep_null_apart_from_omitted(make_sandbox: SandboxFactory, kind: str) -> None:
    sb = make_sandbox("capsule")
    sb.update(as_body(kind, "capsule", {"name": "Typed", "description": None}))
    assert sb.main_write().json == {"kase": {"name": "Typed", "description": None}}

    sb.update(as_body(kind, "capsule", {"name": "Typed again"}))
    assert sb.main_write().json == {"kase": {"name": "Typed again"}}


@pytest.mark.parametrize(
    "close_date",
    [date(2024, 12, 31), datetime(2024, 12, 31, 10, 0, tzinfo=UTC), "2024-12-31"],
)
def test_python_dates_are_accepted(make_sandbox: SandboxFactory, close_date: Any) -> None:
    sb = make_sandbox("pipeliner")
    sb.update({"close_date": close_date})
    assert sb.main_write().json == {"end_date": "2024-12-31"}


def test_unified_model_with_an_unsupported_field_is_refused(make_sandbox: SandboxFactory) -> None:
    sb = make_sandbox("capsule")
    with pytest.raises(UnsupportedFieldError) as caught:
        sb.update(models.ProjectUpdate(name="x", owner={"id": "61"}, amount=3))
    assert caught.value.fields == ["amount", "owner"]
    assert sb.received == []


def test_unified_model_fields_not_set_are_not_unsupported(make_sandbox: SandboxFactory) -> None:
    # The unified model has every field; only those set count.
    sb = make_sandbox("pipeliner")
    project = sb.update(models.ProjectUpdate(name="Only name"))
    assert sb.main_write().json == {"name": "Only name"}
    assert project.name == "Only name"


def test_integration_model_refuses_unsupported_fields_itself() -> None:
    from unifold.generated.crm import capsule, teamleader

    with pytest.raises(ValidationError):
        capsule.ProjectUpdate(owner={"id": "61"})
    with pytest.raises(ValidationError):
        teamleader.ProjectUpdate(description="no name")


def test_another_integrations_model_is_revalidated(make_sandbox: SandboxFactory) -> None:
    from unifold.generated.crm import capsule

    sb = make_sandbox("planhat")
    project = sb.update(capsule.ProjectUpdate(name="From a Capsule model"))
    assert sb.main_write().json == {"name": "From a Capsule model"}
    assert project.name == "From a Capsule model"

    with pytest.raises(UnsupportedFieldError):
        sb.update(capsule.ProjectUpdate(name="x", description="Planhat has none"))
