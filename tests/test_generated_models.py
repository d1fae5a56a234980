"""The generated per-integration models, imported and used as a user would."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from unifold.generated.crm import capsule, insightly, pipeliner, planhat, teamleader
from unifold.generated.crm.registry import INTEGRATIONS as REGISTRY

ROOT = Path(__file__).resolve().parent.parent


def test_teamleader_update_requires_name() -> None:
    with pytest.raises(ValidationError) as info:
        teamleader.ProjectUpdate(description="x")  # type: ignore[call-arg]
    (error,) = info.value.errors()
    assert error["loc"] == ("name",) and error["type"] == "missing"
    assert teamleader.ProjectUpdate(name="Relaunch").name == "Relaunch"


def test_capsule_rejects_owner_and_accepts_tags() -> None:
    with pytest.raises(ValidationError) as info:
        capsule.ProjectUpdate.model_validate({"owner": {"id": "61"}})
    (error,) = info.value.errors()
    assert error["loc"] == ("owner",) and error["type"] == "extra_forbidden"
    body = capsule.ProjectUpdate.model_validate({"tags": [{"name": "Priority"}]})
    assert body.tags is not None and body.tags[0].name == "Priority"


def test_pipeliner_rejects_tags() -> None:
    with pytest.raises(ValidationError) as info:
        pipeliner.ProjectUpdate.model_validate({"tags": [{"name": "x"}]})
    assert info.value.errors()[0]["loc"] == ("tags",)


def test_status_enums_are_narrowed_per_integration() -> None:
    assert insightly.ProjectUpdate(status="deferred").status == "deferred"
    with pytest.raises(ValidationError) as info:
        capsule.ProjectUpdate.model_validate({"status": "deferred"})
    (error,) = info.value.errors()
    assert error["loc"] == ("status",)
    assert "'open'" in error["msg"] and "'closed'" in error["msg"]
    with pytest.raises(ValidationError):
        insightly.ProjectUpdate.model_validate({"status": "open"})


def test_omitted_null_and_value_stay_distinct() -> None:
    body = pipeliner.ProjectUpdate.model_validate({"description": None, "name": "N"})
    assert body.model_fields_set == {"description", "name"}
    assert body.to_body() == {"description": None, "name": "N"}
    assert pipeliner.ProjectUpdate().to_body() == {}


def test_fields_the_provider_cannot_clear_refuse_null() -> None:
    with pytest.raises(ValidationError) as info:
        capsule.ProjectUpdate.model_validate({"account": None})
    message = str(info.value)
    assert "account cannot be null on capsule" in message and "party is required" in message
    assert planhat.ProjectUpdate.model_validate({"amount": None}).amount is None


def test_response_models_are_lenient() -> None:
    record = capsule.Project.model_validate(
        {"id": "1", "status": "archived-by-provider", "unknown_key": 1, "tags": [{"id": "5"}]}
    )
    assert record.status == "archived-by-provider"
    assert record.tags is not None and record.tags[0].id == "5"


def test_support_table_is_data_derived_from_the_spec() -> None:
    from unifold._resource import CrmBase

    table = CrmBase.support()
    update = table["capsule"]["projects"]["update"]
    assert update["request"]["status"]["enum"] == ["closed", "open"]
    assert "owner" not in update["request"]
    assert table["teamleader"]["projects"]["update"]["request"]["name"]["required"] is True
    assert table["teamleader"]["projects"]["update"]["read_back"] is True
    # Built fresh from SPEC: a caller changing its copy changes nothing for the next one.
    update["request"].clear()
    assert CrmBase.support("capsule")["projects"]["update"]["request"]


@pytest.mark.parametrize("integration", sorted(REGISTRY))
def test_generated_change_time_reader_reads_as_read_project(integration: str) -> None:
    """`read_project_updated_at` (what a list filtered on `updated_after` reads first) gives
    what the generated `read_project` gives for `updated_at`, on the emulator's records and on
    records whose values all have an unexpected shape."""
    from benchmarks.read_mapping import seed_records
    from unifold._engine.connector import load_connector

    conn = load_connector(integration)
    _, records = seed_records(integration)
    odd = [
        {key: odd_value for key in records[0]}
        for odd_value in (None, 7, "x", [], {}, True, 1.5, [{}], {"id": {}})
    ]
    for raw in odd:  # reads are lenient: an odd provider value never breaks a read
        assert set(conn.read(raw)) == set(conn.resource.record)
    assert ("updated_at" in conn.resource.record) == (conn.read_changed_at is not None)
    if conn.read_changed_at is None:
        pytest.skip(f"{integration} records carry no updated_at")
    assert any(conn.read(raw)["updated_at"] for raw in records)
    for raw in [*records, *odd]:
        assert conn.read_changed_at(raw, conn.hooks) == conn.read(raw)["updated_at"]


def test_transform_names_are_defined_once() -> None:
    from typing import get_args

    from unifold._engine.transforms import READ, WRITE
    from unifold._matrix import ReadTransform, WriteTransform

    assert set(get_args(ReadTransform)) == set(READ)
    assert set(get_args(WriteTransform)) == set(WRITE)


@pytest.mark.parametrize("integration", sorted(REGISTRY))
def test_generated_spec_is_the_matrix_with_defaults_written_once(integration: str) -> None:
    import yaml

    from unifold._matrix import Matrix
    from unifold.generated.crm.registry import load

    module = load(integration)
    source = yaml.safe_load((ROOT / "openapi/integrations" / f"{integration}.yaml").read_text())
    assert isinstance(module.SPEC, Matrix)
    assert module.SPEC == Matrix.model_validate(source)
    assert not hasattr(module, "MATRIX")  # no untyped copy for the runtime to read by key


GENERATED_SOURCES = [
    *(f"generated/crm/{name}.py" for name in sorted(REGISTRY)),
    "tests/generator/golden/mini/crm/acme.py",
]


@pytest.mark.parametrize("path", GENERATED_SOURCES)
def test_generated_spec_is_typed_constructor_calls(path: str) -> None:
    """`SPEC = Matrix(...)`: keyword calls of `unifold._matrix` classes (so mypy checks each
    value), no dict dump, no `model_validate`, and no argument equal to its field's default."""
    import ast

    import unifold._matrix
    from tests.generator.conftest import spec_call

    text = (ROOT / path).read_text()
    assert "MATRIX" not in text and "model_validate(" not in text
    call = spec_call(text)  # constructor calls and literals only (asserted there)
    checked = 0
    for node in ast.walk(call):
        if not isinstance(node, ast.Call):
            continue
        assert isinstance(node.func, ast.Name)
        fields = getattr(unifold._matrix, node.func.id).model_fields
        for keyword in node.keywords:
            field = fields[keyword.arg]
            try:
                value = ast.literal_eval(keyword.value)
            except ValueError:
                continue  # a nested model call: walked on its own
            checked += 1
            assert field.is_required() or value != field.get_default(call_default_factory=True), (
                f"{path}: {node.func.id}({keyword.arg}=...) repeats the default"
            )
    assert checked > 10


@pytest.mark.parametrize("integration", sorted(REGISTRY))
def test_generated_writers_run_in_matrix_order(integration: str) -> None:
    import inspect
    import re

    from unifold.generated.crm.registry import load

    module = load(integration)
    for op_name, op in module.SPEC.resources["projects"].operations.items():
        if not op.fields:
            continue
        source = inspect.getsource(getattr(module, f"write_project_{op_name}"))
        written = re.findall(r'if "(\w+)" in given:', source)
        expected = [f for f in op.fields if f != "remote_data"]
        expected += ["remote_data"] if "remote_data" in op.fields else []
        assert written == expected, op_name


def test_a_generated_function_the_matrix_implies_must_be_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The runtime finds the generated write and check functions by name: a stale module that
    lacks one is refused when the integration loads, not silently run without it."""
    from unifold._engine import connector
    from unifold.generated.crm import capsule

    monkeypatch.setattr(capsule, "CHECKS", {"create": capsule.check_project_create})
    connector.load_connector.cache_clear()
    try:
        with pytest.raises(TypeError, match="check_project_update.*make generate"):
            connector.load_connector("capsule")
    finally:
        connector.load_connector.cache_clear()


def test_a_request_body_built_from_the_spec_is_the_callers_copy() -> None:
    from unifold._engine.connector import load_connector
    from unifold._engine.flows import build_request

    conn = load_connector("teamleader")
    spec = conn.resource.fetches["field_definitions"].request
    sent = build_request(conn, spec, "definitions")
    sent.json["filter"]["context"] = "changed by a hook"
    assert spec.body == {"filter": {"context": "project"}}
    assert build_request(conn, spec, "definitions").json["filter"] == {"context": "project"}


def test_the_support_table_lists_names_in_sorted_order() -> None:
    from unifold._resource import CrmBase

    capsule = CrmBase.support("capsule")["projects"]
    assert list(capsule) == sorted(capsule)
    assert list(capsule["update"]["request"]) == sorted(capsule["update"]["request"])
