"""The same calls through AsyncUnifold."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable

import pytest

from unifold import (
    AsyncProviderStream,
    AsyncUnifold,
    InvalidEnumValueError,
    MissingRequiredFieldError,
    PartialWriteError,
    ProviderNotFoundError,
    ProviderValidationError,
    UnknownAccountError,
    UnsupportedFieldError,
)

from .conftest import (
    INTEGRATIONS,
    RAW_NAME_KEY,
    REFS,
    RESPONSE_FORMATS,
    UNKNOWN_PROJECT,
    AsyncSandbox,
    expected_wire,
    is_read,
    needs_name,
    raw_record,
)

AsyncFactory = Callable[[str], AsyncSandbox]
TL = REFS["teamleader"]


@pytest.mark.parametrize("response_format", RESPONSE_FORMATS)
@pytest.mark.parametrize("integration", INTEGRATIONS)
async def test_update_in_each_format(
    make_async_sandbox: AsyncFactory, integration: str, response_format: str
) -> None:
    sb = make_async_sandbox(integration)
    result = await sb.update(
        needs_name(integration, {"name": "Async"}), response_format=response_format
    )

    if response_format == "unified":
        module = importlib.import_module(f"unifold.generated.crm.{integration}")
        assert type(result) is module.Project
        assert (result.id, result.name) == (sb.pid, "Async")
        assert result.remote_data[RAW_NAME_KEY[integration]] == "Async"
    elif response_format == "normalized":
        assert isinstance(result, dict)
        assert (result["id"], result["name"]) == (sb.pid, "Async")
        assert "remote_data" not in result and None not in result.values()
        assert result.warnings == []
    else:
        if response_format == "stream":
            assert isinstance(result, AsyncProviderStream)
            assert result.status_code == 200
            async with result as stream:
                result = json.loads(b"".join([chunk async for chunk in stream.aiter_bytes()]))
        assert raw_record(integration, result)[RAW_NAME_KEY[integration]] == "Async"

    writes = [r for r in sb.received if not is_read(r)]
    assert [w.json for w in writes] == [
        expected_wire(integration, sb.pid, {RAW_NAME_KEY[integration]: "Async"})
    ]


async def test_full_update_matches_the_sync_wire(make_async_sandbox: AsyncFactory) -> None:
    sb = make_async_sandbox("capsule")
    project = await sb.update(
        {"name": "A", "status": "closed", "tags": [], "account": {"id": "893"}},
        remote_query={"filter": {"name": "x"}},
        exclude_fields=["owner.name"],
    )

    put = sb.received[-1]
    assert (put.method, put.path) == ("PUT", "/api/v2/kases/12")
    assert put.query == (("embed", "tags,fields,party"), ("filter[name]", "x"))
    assert put.json == {
        "kase": {
            "name": "A",
            "status": "CLOSED",
            "party": {"id": 893},
            "tags": [{"id": 501, "_delete": True}],
        }
    }
    assert project.tags == [] and project.status == "closed"
    assert project.owner.id == "61" and project.owner.name is None


@pytest.mark.parametrize(
    ("integration", "body", "error"),
    [
        ("capsule", {"status": "deferred"}, InvalidEnumValueError),
        ("capsule", {"owner": {"id": "61"}}, UnsupportedFieldError),
        ("teamleader", {"description": "no name"}, MissingRequiredFieldError),
    ],
)
async def test_validation_error_sends_nothing(
    make_async_sandbox: AsyncFactory, integration: str, body: dict, error: type
) -> None:
    sb = make_async_sandbox(integration)
    with pytest.raises(error) as caught:
        await sb.update(body)
    assert caught.value.integration == integration
    assert sb.received == []


@pytest.mark.parametrize("integration", INTEGRATIONS)
async def test_provider_not_found(make_async_sandbox: AsyncFactory, integration: str) -> None:
    sb = make_async_sandbox(integration)
    with pytest.raises(ProviderNotFoundError) as caught:
        await sb.update(
            needs_name(integration, {"name": "Ghost"}), project_id=UNKNOWN_PROJECT[integration]
        )
    assert caught.value.status_code == 404
    assert caught.value.raw_response is not None
    assert caught.value.to_dict()["truto_is_remote_error"] is True


async def test_provider_validation_error(make_async_sandbox: AsyncFactory) -> None:
    sb = make_async_sandbox("pipeliner")
    with pytest.raises(ProviderValidationError) as caught:
        await sb.update({"owner": {"id": "c0000000-0000-4000-8000-00000000beef"}})
    assert caught.value.status_code == 422
    assert caught.value.raw_response["name"] == "ERROR_ENTITY_VALIDATION"


async def test_teamleader_partial_failure(make_async_sandbox: AsyncFactory) -> None:
    sb = make_async_sandbox("teamleader")
    unknown_deal = "de000000-7e57-4d1e-9a1b-0000000000ff"
    with pytest.raises(PartialWriteError) as caught:
        await sb.update(
            {
                "name": "Website rebuild",
                "account": {"id": TL["companies"][1]},
                "opportunity": [{"id": unknown_deal}],
            }
        )

    error = caught.value
    assert error.applied == [
        "POST /projects-v2/projects.update",
        f"addCustomer company {TL['companies'][1]}",
        f"removeCustomer company {TL['companies'][0]}",
    ]
    assert error.failed == f"addDeal {unknown_deal}"
    assert error.not_applied == [f"removeDeal {TL['deals'][0]}"]
    assert error.to_dict()["truto_error_insight"]["partial_write"]["value"] == {
        "applied": error.applied,
        "failed": error.failed,
        "not_applied": error.not_applied,
    }
    assert sb.received[-1].path == "/projects-v2/projects.addDeal"


async def test_teamleader_relations(make_async_sandbox: AsyncFactory) -> None:
    sb = make_async_sandbox("teamleader")
    project = await sb.update(
        {"name": "Website rebuild", "owner": {"id": TL["users"][1]}, "contact": []}
    )
    paths = [r.path.rsplit(".", 1)[-1] for r in sb.received]
    assert paths == [
        "projects-v2-status",
        "info",
        "info",  # re-read right before writing: nothing changed since the first read
        "update",
        "addOwner",
        "removeOwner",
        "info",
    ]
    assert project.owner.id == TL["users"][1]


async def test_unknown_account(aclient: AsyncUnifold) -> None:
    with pytest.raises(UnknownAccountError):
        await aclient.crm.projects.update("12", {"name": "x"}, integrated_account_id="nope")
