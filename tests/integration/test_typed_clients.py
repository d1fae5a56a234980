"""The generated per-integration clients (`uf.crm.<integration>.projects`) at run time."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

from unifold import IntegrationMismatchError, InvalidParameterError, Unifold
from unifold.generated.crm import client as unified_client
from unifold.generated.crm.registry import INTEGRATIONS
from unifold.types import Page, Project

from .conftest import AsyncSandbox, SandboxFactory, needs_name

NAMES = sorted(INTEGRATIONS)


@pytest.mark.parametrize("integration", NAMES)
def test_every_operation_has_a_generated_sync_and_async_method(integration: str) -> None:
    module = importlib.import_module(INTEGRATIONS[integration].module)
    for operation in INTEGRATIONS[integration].operations["projects"]:
        assert not inspect.iscoroutinefunction(getattr(module.Projects, operation))
        assert inspect.iscoroutinefunction(getattr(module.AsyncProjects, operation))
        assert inspect.iscoroutinefunction(getattr(unified_client.AsyncProjects, operation))
    assert issubclass(module.Project, Project)


@pytest.mark.parametrize("integration", NAMES)
def test_typed_client_returns_the_integrations_models(
    make_sandbox: SandboxFactory, integration: str
) -> None:
    sb = make_sandbox(integration)
    module = importlib.import_module(INTEGRATIONS[integration].module)
    projects = getattr(sb.client.crm, integration).projects
    assert isinstance(projects, module.Projects)
    updated = projects.update(
        sb.pid,
        needs_name(integration, {"name": "typed"}),
        integrated_account_id=sb.account.id,
    )
    assert type(updated) is module.Project
    assert updated.name == "typed"
    page = projects.list(integrated_account_id=sb.account.id, limit=2)
    assert isinstance(page, Page)
    assert page.result and all(type(p) is module.Project for p in page.result)
    body = module.ProjectUpdate.model_validate({"name": "model"})
    assert projects.update(sb.pid, body, integrated_account_id=sb.account.id).name == "model"


async def test_async_typed_client(make_async_sandbox: Any) -> None:
    from unifold.generated.crm import capsule

    sb: AsyncSandbox = make_async_sandbox("capsule")
    project = await sb.client.crm.capsule.projects.get(sb.pid, integrated_account_id=sb.account.id)
    assert type(project) is capsule.Project


@pytest.mark.parametrize(
    ("integration", "other"), [("capsule", "insightly"), ("teamleader", "planhat")]
)
def test_another_integrations_account_is_refused_before_any_request(
    make_sandbox: SandboxFactory, integration: str, other: str
) -> None:
    sb = make_sandbox(integration)
    projects = getattr(sb.client.crm, other).projects
    with pytest.raises(IntegrationMismatchError) as caught:
        projects.update(sb.pid, {"name": "x"}, integrated_account_id=sb.account.id)
    assert integration in str(caught.value) and other in str(caught.value)
    assert caught.value.integration == integration and caught.value.accepted == other
    with pytest.raises(IntegrationMismatchError):
        projects.list(integrated_account_id=sb.account.id)
    assert sb.received == []


def test_unknown_option_is_a_typed_error_at_run_time(make_sandbox: SandboxFactory) -> None:
    sb = make_sandbox("capsule")
    options: dict[str, Any] = {"respnse_format": "raw"}
    for projects in (sb.client.crm.projects, sb.client.crm.capsule.projects):
        with pytest.raises(InvalidParameterError, match="respnse_format") as caught:
            projects.get(sb.pid, integrated_account_id=sb.account.id, **options)
        assert "response_format" in caught.value.accepted
    with pytest.raises(InvalidParameterError, match="limit"):
        sb.client.crm.projects.get(sb.pid, integrated_account_id=sb.account.id, limit=1)  # type: ignore[call-overload]
    assert sb.received == []


def test_crm_namespaces_are_cached(client: Unifold) -> None:
    assert client.crm.capsule is client.crm.capsule
    assert client.crm.capsule.projects is client.crm.capsule.projects
