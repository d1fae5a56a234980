"""Truto's meta path for one account: supported fields per method plus its custom fields."""

from __future__ import annotations

import httpx
import pytest

from tests.server.conftest import INTEGRATIONS, Server, new_account
from unifold.generated.crm.registry import load


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_meta_lists_fields_and_custom_fields(acme: httpx.Client, integration: str) -> None:
    account = new_account(acme, integration)
    response = acme.get(
        "/unified/crm/projects/meta/update", params={"integrated_account_id": account}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "update" and body["integration"] == integration
    support = load(integration).SPEC.support()
    assert body["request_body_fields"] == support["projects"]["update"]["request"]
    names = [f["name"] for f in body["custom_fields"]]
    assert names and all(isinstance(f["type"], str) for f in body["custom_fields"])


def test_meta_refusals(server: Server, acme: httpx.Client) -> None:
    account = new_account(acme, "capsule")
    bad_method = acme.get(
        "/unified/crm/projects/meta/patch", params={"integrated_account_id": account}
    )
    assert bad_method.status_code == 400 and "update" in bad_method.json()["message"]
    missing = acme.get("/unified/crm/projects/meta/update")
    assert missing.status_code == 400
    with server.client("globex") as other:  # another tenant's account is not found
        hidden = other.get(
            "/unified/crm/projects/meta/update", params={"integrated_account_id": account}
        )
    assert hidden.status_code == 404
    with server.client(None) as anonymous:
        assert anonymous.get("/unified/crm/projects/meta/update").status_code == 401
