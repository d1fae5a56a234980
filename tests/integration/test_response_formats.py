"""Response formats (unified, raw, normalized, stream), exclude_fields and ignore_remote_data."""

from __future__ import annotations

import importlib
import json

import pytest

from unifold import InvalidParameterError, ProviderStream

from .conftest import (
    INTEGRATIONS,
    RAW_NAME_KEY,
    REFS,
    Sandbox,
    SandboxFactory,
    needs_name,
    raw_record,
    record_fields,
)

# A nested field whose `name` the integration fills in (or sets to null explicitly).
NESTED = {
    name: next(f for f in ("owner", "account", "stage") if f in record_fields(name))
    for name in INTEGRATIONS
}


def update_name(sb: Sandbox, name: str = "Format check", **kw: object) -> object:
    return sb.update(needs_name(sb.integration, {"name": name}), **kw)


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_unified_returns_the_integrations_project_model(
    make_sandbox: SandboxFactory, integration: str
) -> None:
    sb = make_sandbox(integration)
    project = update_name(sb)

    module = importlib.import_module(f"unifold.generated.crm.{integration}")
    assert type(project) is module.Project
    assert project.id == sb.pid
    assert project.name == "Format check"
    assert project.warnings == []
    # remote_data is the provider's own record, exactly as it was answered.
    raw = sb.get(response_format="raw")
    assert project.remote_data == raw_record(integration, raw)


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_raw_returns_the_provider_body(make_sandbox: SandboxFactory, integration: str) -> None:
    sb = make_sandbox(integration)
    body = update_name(sb, response_format="raw")

    assert isinstance(body, dict)
    assert raw_record(integration, body)[RAW_NAME_KEY[integration]] == "Format check"
    # The clock is frozen, so a fresh read of the project answers the same body.
    assert body == sb.get(response_format="raw")


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_normalized_is_a_dict_without_nulls_or_remote_data(
    make_sandbox: SandboxFactory, integration: str
) -> None:
    sb = make_sandbox(integration)
    unified = update_name(sb)
    record = update_name(sb, response_format="normalized")

    assert type(record) is not type(unified) and isinstance(record, dict)
    assert record["id"] == sb.pid
    assert record["name"] == "Format check"
    assert "remote_data" not in record
    assert None not in record.values()
    assert record.warnings == []
    # Everything else is the unified record, minus its nulls.
    assert record == unified.model_dump(mode="json", exclude_none=True, exclude={"remote_data"})


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_stream_yields_the_provider_bytes(make_sandbox: SandboxFactory, integration: str) -> None:
    sb = make_sandbox(integration)
    stream = update_name(sb, response_format="stream")

    assert isinstance(stream, ProviderStream)
    assert stream.status_code == 200
    with stream as opened:
        data = b"".join(opened.iter_bytes())
    body = json.loads(data)
    assert raw_record(integration, body)[RAW_NAME_KEY[integration]] == "Format check"
    assert body == sb.get(response_format="raw")


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_invalid_response_format_is_refused(make_sandbox: SandboxFactory, integration: str) -> None:
    sb = make_sandbox(integration)
    with pytest.raises(InvalidParameterError) as caught:
        update_name(sb, response_format="xml")
    assert caught.value.accepted == ["unified", "raw", "normalized", "stream"]
    assert sb.received == []


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_exclude_top_level_field(make_sandbox: SandboxFactory, integration: str) -> None:
    sb = make_sandbox(integration)
    project = update_name(sb, exclude_fields=["name"])

    assert project.name is None
    assert "name" not in project.model_dump(exclude_unset=True)
    assert project.id == sb.pid
    assert project.remote_data is not None
    # Only the response is trimmed: the name was still written.
    assert project.remote_data[RAW_NAME_KEY[integration]] == "Format check"

    normalized = update_name(sb, response_format="normalized", exclude_fields=("name",))
    assert "name" not in normalized and normalized["id"] == sb.pid


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_exclude_nested_field(make_sandbox: SandboxFactory, integration: str) -> None:
    sb = make_sandbox(integration)
    head = NESTED[integration]

    full = update_name(sb).model_dump(exclude_unset=True)[head]
    assert set(full) == {"id", "name"}

    project = update_name(sb, exclude_fields=[f"{head}.name"])
    assert project.model_dump(exclude_unset=True)[head] == {"id": full["id"]}
    assert getattr(project, head).name is None

    normalized = update_name(sb, response_format="normalized", exclude_fields=[f"{head}.name"])
    assert normalized[head] == {"id": full["id"]}


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_exclude_unknown_field_lists_valid_names(
    make_sandbox: SandboxFactory, integration: str
) -> None:
    sb = make_sandbox(integration)
    with pytest.raises(InvalidParameterError) as caught:
        update_name(sb, exclude_fields=["name", "bogus", "owner.bogus"])

    error = caught.value
    assert error.fields == ["bogus", "owner.bogus"]
    assert "bogus" in error.message and integration in error.message
    assert f"{NESTED[integration]}.name" in error.accepted
    assert "name" in error.accepted and "remote_data" in error.accepted
    for valid in error.accepted:
        assert valid in error.message
    assert error.to_dict()["truto_error_insight"]["invalid_query_parameters"]["value"] == [
        "bogus",
        "owner.bogus",
    ]
    assert sb.received == []


def test_one_exclude_list_serves_every_integration(planhat: Sandbox) -> None:
    # owner is a unified field Planhat does not return: excluding it is valid and a no-op.
    project = planhat.update({"name": "x"}, exclude_fields=["owner.name", "owner", "name"])
    assert "name" not in project.model_dump(exclude_unset=True)
    assert project.model_dump(exclude_unset=True)["account"]["id"]


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_ignore_remote_data(make_sandbox: SandboxFactory, integration: str) -> None:
    sb = make_sandbox(integration)
    assert update_name(sb).remote_data is not None

    project = update_name(sb, ignore_remote_data=True)
    assert project.remote_data is None
    assert "remote_data" not in project.model_dump(exclude_unset=True)
    assert project.name == "Format check"


def test_stream_after_prefetches_and_extra_calls(make_sandbox: SandboxFactory) -> None:
    capsule = make_sandbox("capsule")
    with capsule.update({"tags": []}, response_format="stream") as stream:
        body = json.loads(b"".join(stream.iter_bytes()))
    assert body["kase"]["tags"] == []
    assert [r.method for r in capsule.received] == ["GET", "GET", "PUT"]  # read, re-read, write

    teamleader = make_sandbox("teamleader")
    owner = REFS["teamleader"]["users"][1]
    with teamleader.update(
        {"name": "Streamed", "owner": {"id": owner}}, response_format="stream"
    ) as stream:
        body = json.loads(b"".join(stream.iter_bytes()))
    assert body["data"]["title"] == "Streamed"
    assert body["data"]["owners"] == [{"type": "user", "id": owner}]


def test_exclude_fields_accepts_a_single_string(capsule: Sandbox) -> None:
    project = capsule.update({"name": "x"}, exclude_fields="owner.name")
    assert project.owner is not None
    assert (project.owner.id, project.owner.name) == ("61", None)
    assert project.account is not None and project.account.name == "Northwind Traders"
