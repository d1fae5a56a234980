"""The served spec is `openapi/crm.yaml`, and a property-based run of it (schemathesis) finds
no 5xx and no response that does not conform to it."""

from __future__ import annotations

from pathlib import Path

import httpx
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from tests.server.conftest import INTEGRATIONS, Server, new_account
from unifold.sandbox import SEED_PROJECT_IDS

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_PER_OPERATION = 15
MOSTLY = st.integers(0, 3).map(bool)  # True 3 times in 4


def test_openapi_json_is_the_unified_spec(acme: httpx.Client) -> None:
    response = acme.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == yaml.safe_load((REPO / "openapi" / "crm.yaml").read_text())


def test_schemathesis_run(server: Server, acme: httpx.Client) -> None:
    spec = acme.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(spec)
    accounts = {name: new_account(acme, name) for name in INTEGRATIONS}
    headers = {"Authorization": f"Bearer {server.tokens['acme']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5

    statuses: dict[str, set[int]] = {}
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=operation.as_strategy(),
            integration=st.sampled_from(INTEGRATIONS),
            real_account=MOSTLY,
            real_id=MOSTLY,
            plain=st.booleans(),
        )
        def run(case, integration: str, real_account: bool, real_id: bool, plain: bool) -> None:  # type: ignore[no-untyped-def]
            # Random uuids only ever reach the 404 path, random bodies mostly fields the
            # integration does not support: some cases use a real sandbox account, a seeded
            # project id, no remote_query and a body of a name only, so the success paths run.
            if plain and case.method == "POST":
                integration = "teamleader"  # creates with a name only
            if real_account:
                case.query = {**(case.query or {}), "integrated_account_id": accounts[integration]}
            if real_id and case.path_parameters and "id" in case.path_parameters:
                case.path_parameters["id"] = SEED_PROJECT_IDS[integration][0]
            if plain:
                case.query = {
                    k: v for k, v in (case.query or {}).items() if not k.startswith("remote_query")
                }
                if isinstance(case.body, dict):
                    case.body = {"name": str(case.body.get("name", "Fuzzed"))}
            response = case.call(base_url=server.url, headers=headers)
            statuses.setdefault(case.operation.label, set()).add(response.status_code)
            shape = (case.query or {}).get("truto_response_format", "unified")
            wanted = [checks.not_a_server_error, checks.status_code_conformance]
            if shape in ("unified", "normalized") or response.status_code >= 400:
                # `raw` and `stream` answer the provider's own body, which the spec cannot type.
                wanted += [checks.response_schema_conformance, checks.content_type_conformance]
            case.validate_response(response, checks=wanted)

        run()
    # The run reached the success paths, not only the 404 of random account ids.
    assert all(codes & {200, 201} for codes in statuses.values()), statuses


def test_spec_lists_exactly_the_excludable_fields() -> None:
    from unifold._engine.formats import valid_exclusions
    from unifold.generated.crm.models import Project

    spec = yaml.safe_load((REPO / "openapi" / "crm.yaml").read_text())
    items = spec["components"]["parameters"]["ExcludeFields"]["schema"]["items"]
    assert sorted(items["enum"]) == sorted(valid_exclusions(Project))
