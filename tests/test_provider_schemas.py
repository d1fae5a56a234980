"""The requests our adapters send, checked against the providers' published OpenAPI schemas.

The schemas are reference material outside the project (`../shared/provider-specs/`); where that
folder is absent these tests skip and say why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator, OAS31Validator

from unifold import Unifold
from unifold.sandbox import SEED_PROJECT_IDS, SEED_REFERENCES

SPECS = Path(__file__).resolve().parents[1].parent / "shared" / "provider-specs"
PIPELINER = SPECS / "pipeliner-projects.openapi.yml"
TEAMLEADER = SPECS / "teamleader-projects.openapi.yaml"


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        pytest.skip(f"provider schema {path} is absent (reference material in ../shared)")
    return yaml.safe_load(path.read_text())  # type: ignore[no-any-return]


def _properties(schema: dict[str, Any], root: dict[str, Any]) -> set[str]:
    """Every property name a (possibly allOf / $ref) schema declares."""
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _properties(target, root)
    names = set(schema.get("properties", {}))
    for sub in schema.get("allOf", []):
        names |= _properties(sub, root)
    return names


def _check(body: Any, schema: dict[str, Any], root: dict[str, Any], validator: type) -> None:
    wrapped = {**schema, "components": root.get("components", {})}
    errors = sorted(validator(wrapped).iter_errors(body), key=str)
    assert not errors, [e.message for e in errors]
    # The providers ignore unknown keys silently (Teamleader: research S5), so a typo would be a
    # quiet no-op; every key we send must be one the schema declares.
    unknown = set(body) - _properties(schema, root)
    assert not unknown, f"keys not in the provider's schema: {sorted(unknown)}"


def _request_schema(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    content = spec["paths"][path][method]["requestBody"]["content"]
    media = content.get("application/json") or content.get("application / json")
    return media["schema"]  # type: ignore[no-any-return]


def test_pipeliner_update_body_matches_update_project_input() -> None:
    spec = _load(PIPELINER)
    refs = SEED_REFERENCES["pipeliner"]
    with Unifold(store=":memory:") as uf:
        acct = uf.accounts.create("pipeliner", environment="sandbox")
        uf.crm.projects.update(
            SEED_PROJECT_IDS["pipeliner"][0],
            {
                "name": "Relaunch",
                "description": "Phase 2",
                "owner": {"id": refs["clients"][1]},
                "account": {"id": refs["accounts"][1]},
                "close_date": "2024-09-30",
            },
            integrated_account_id=acct.id,
        )
        sent = uf.accounts.sandbox(acct.id).received[-1]
    assert sent.method == "PATCH" and sent.path.endswith(
        f"/entities/Projects/{SEED_PROJECT_IDS['pipeliner'][0]}"
    )
    assert set(sent.json) == {"name", "description", "owner_id", "account_id", "end_date"}
    schema = _request_schema(spec, "/entities/Projects/{id}", "patch")
    _check(sent.json, schema, spec, OAS31Validator)


def test_teamleader_calls_match_their_request_schemas() -> None:
    spec = _load(TEAMLEADER)
    refs = SEED_REFERENCES["teamleader"]
    with Unifold(store=":memory:") as uf:
        acct = uf.accounts.create("teamleader", environment="sandbox")
        uf.crm.projects.update(
            SEED_PROJECT_IDS["teamleader"][0],
            {
                "name": "Relaunch",
                "description": None,
                "amount": 1500,
                "currency": "EUR",
                "owner": {"id": refs["users"][1]},
                "account": {"id": refs["companies"][1]},
                "contact": [{"id": refs["contacts"][1]}],
                "opportunity": [{"id": refs["deals"][1]}],
            },
            integrated_account_id=acct.id,
        )
        received = uf.accounts.sandbox(acct.id).received
    checked = set()
    for req in received:
        path = req.path
        if path == "/accounts.projects-v2-status":
            continue  # the module check, outside the projects spec
        if path not in spec["paths"]:
            # removeCustomer/removeOwner/removeDeal are not in the stored excerpt of the spec.
            assert path.rsplit(".", 1)[-1] in {"removeCustomer", "removeOwner", "removeDeal"}
            continue
        _check(req.json, _request_schema(spec, path, "post"), spec, OAS30Validator)
        checked.add(path.rsplit(".", 1)[-1])
    assert {"info", "update", "addOwner", "addCustomer", "addDeal"} <= checked


def test_schema_check_can_fail() -> None:
    """The check itself rejects a wrong body (a typo'd key and a wrong type)."""
    spec = _load(TEAMLEADER)
    schema = _request_schema(spec, "/projects-v2/projects.update", "post")
    with pytest.raises(AssertionError):
        _check({"id": "x", "titel": "typo"}, schema, spec, OAS30Validator)
    with pytest.raises(AssertionError):
        _check({"id": "x", "external_budget": {"amount": "lots"}}, schema, spec, OAS30Validator)
