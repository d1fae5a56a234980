"""Provider errors map to typed errors that keep the provider's body."""

from __future__ import annotations

from typing import Any

import pytest

from unifold import ProviderError, ProviderNotFoundError, ProviderValidationError

from .conftest import INTEGRATIONS, REFS, UNKNOWN_PROJECT, SandboxFactory, needs_name

NOT_FOUND_BODY: dict[str, Any] = {
    "capsule": {"message": "Could not find resource"},
    "insightly": {"Message": "Record not found"},
    "pipeliner": {
        "success": False,
        "http_status": 404,
        "code": 404,
        "name": "ERROR_ENTITY_NOT_FOUND",
        "message": f"Entity Project with id {UNKNOWN_PROJECT['pipeliner']} was not found.",
    },
    "planhat": "Project not found",
    "teamleader": {
        "errors": [{"title": f"Project {UNKNOWN_PROJECT['teamleader']} not found", "status": 404}]
    },
}


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_unknown_project_is_provider_not_found(
    make_sandbox: SandboxFactory, integration: str
) -> None:
    sb = make_sandbox(integration)
    with pytest.raises(ProviderNotFoundError) as caught:
        sb.update(
            needs_name(integration, {"name": "Ghost"}), project_id=UNKNOWN_PROJECT[integration]
        )

    error = caught.value
    assert error.status_code == 404
    assert error.integration == integration
    assert error.raw_response == NOT_FOUND_BODY.get(integration, error.raw_response)
    assert error.raw_response is not None
    body = error.to_dict()
    assert body["statusCode"] == 404
    assert body["error"] == "Not Found"
    assert body["truto_is_remote_error"] is True
    assert body["raw_response"] == error.raw_response
    assert integration in body["message"]
    # Sent once, not retried (after Teamleader's once-per-account module check).
    assert len(sb.received) == (2 if integration == "teamleader" else 1)


def test_unknown_project_found_by_a_prefetch_is_not_found_too(make_sandbox: SandboxFactory) -> None:
    sb = make_sandbox("capsule")
    with pytest.raises(ProviderNotFoundError):
        sb.update({"tags": []}, project_id=UNKNOWN_PROJECT["capsule"])
    assert sb.writes() == []  # the read failed, so nothing was written


# (integration, body, status, expected raw_response, text the message carries)
VALIDATION_CASES: list[tuple[str, dict[str, Any], int, Any, str]] = [
    (
        "pipeliner",
        {"owner": {"id": "c0000000-0000-4000-8000-00000000beef"}},
        422,
        None,
        "[owner_id] Relation Project.owner_id=c0000000-0000-4000-8000-00000000beef to Client "
        "doesn't exist!",
    ),
    (
        "insightly",
        {"owner": {"id": "999"}},
        400,
        {"Message": "OWNER_USER_ID does not reference a user"},
        "OWNER_USER_ID does not reference a user",
    ),
    (
        "capsule",
        {"account": {"id": "999"}},
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": "kase", "field": "party", "message": "party not found"}],
        },
        "party not found",
    ),
    (
        "planhat",
        {"account": {"id": "64b7f0c1a2b3c4d5e6f7ffff"}},
        400,
        "Invalid companyId: 64b7f0c1a2b3c4d5e6f7ffff",
        "Invalid companyId",
    ),
    (
        "teamleader",
        {"name": "Budget", "amount": 10, "currency": "USD"},
        400,
        {"errors": [{"title": "external_budget: currently only EUR is supported", "status": 400}]},
        "only EUR is supported",
    ),
]


@pytest.mark.parametrize(
    ("integration", "body", "status", "raw", "text"),
    VALIDATION_CASES,
    ids=[c[0] for c in VALIDATION_CASES],
)
def test_provider_validation_error(
    make_sandbox: SandboxFactory,
    integration: str,
    body: dict[str, Any],
    status: int,
    raw: Any,
    text: str,
) -> None:
    sb = make_sandbox(integration)
    before = sb.get(response_format="raw")

    with pytest.raises(ProviderValidationError) as caught:
        sb.update(body)

    error = caught.value
    assert isinstance(error, ProviderError)
    assert error.status_code == status
    assert error.integration == integration
    assert text in error.message
    if raw is not None:
        assert error.raw_response == raw
    else:
        assert error.raw_response["http_status"] == status
        assert error.raw_response["field_errors"][0]["field_name"] == "owner_id"
    as_dict = error.to_dict()
    assert as_dict["statusCode"] == status
    assert as_dict["truto_is_remote_error"] is True
    assert as_dict["raw_response"] == error.raw_response
    assert sb.get(response_format="raw") == before  # the provider changed nothing


def test_pipeliner_validation_error_keeps_the_full_body(make_sandbox: SandboxFactory) -> None:
    sb = make_sandbox("pipeliner")
    with pytest.raises(ProviderValidationError) as caught:
        sb.update({"account": {"id": REFS["pipeliner"]["contacts"][0]}})

    raw = caught.value.raw_response
    assert raw["name"] == "ERROR_ENTITY_VALIDATION"
    assert raw["entity_id"] == sb.pid
    assert raw["field_errors"][0]["errors"][0]["name"] == "ERROR_RELATIONS_DOESNT_EXIST"
