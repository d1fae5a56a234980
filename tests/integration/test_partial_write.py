"""A Teamleader update takes several calls; a failure part-way is a PartialWriteError that says
what was applied and what was not (nothing is rolled back)."""

from __future__ import annotations

import pytest

from unifold import PartialWriteError, ProviderValidationError

from .conftest import REFS, TL_MODULE_CHECK, Sandbox

TL = REFS["teamleader"]
TL_API = "/projects-v2/projects."
UNKNOWN_DEAL = "de000000-7e57-4d1e-9a1b-0000000000ff"
UNKNOWN_USER = "b0000000-7e57-4d1e-9a1b-0000000000ff"


def test_unknown_deal_after_a_valid_account_change(teamleader: Sandbox) -> None:
    with pytest.raises(PartialWriteError) as caught:
        teamleader.update(
            {
                "name": "Website rebuild",
                "account": {"id": TL["companies"][1]},
                "opportunity": [{"id": UNKNOWN_DEAL}],
            }
        )

    error = caught.value
    applied = [
        "POST /projects-v2/projects.update",
        f"addCustomer company {TL['companies'][1]}",
        f"removeCustomer company {TL['companies'][0]}",
    ]
    failed = f"addDeal {UNKNOWN_DEAL}"
    not_applied = [f"removeDeal {TL['deals'][0]}"]
    assert error.applied == applied
    assert error.failed == failed
    assert error.not_applied == not_applied
    assert "the provider refused it" in error.message
    assert error.status_code == 400
    assert isinstance(error.cause, ProviderValidationError)
    assert error.cause.raw_response == {
        "errors": [{"title": f"deal {UNKNOWN_DEAL} does not exist", "status": 400}]
    }
    assert f"addDeal {UNKNOWN_DEAL}" in error.message

    body = error.to_dict()
    assert body["statusCode"] == 400
    assert body["truto_is_remote_error"] is True
    assert body["raw_response"] == error.cause.raw_response
    assert body["truto_error_insight"]["partial_write"]["value"] == {
        "applied": applied,
        "failed": failed,
        "not_applied": not_applied,
    }

    # The calls stop at the failure: removeDeal was never sent, and nothing was read back.
    assert [r.path.removeprefix(TL_API) for r in teamleader.received] == [
        TL_MODULE_CHECK,
        "info",
        "info",  # the re-read before writing
        "update",
        "addCustomer",
        "removeCustomer",
        "addDeal",
    ]
    # What was applied stays applied.
    project = teamleader.get()
    assert project.account is not None and project.account.id == TL["companies"][1]
    assert [o.id for o in project.opportunity] == [TL["deals"][0]]


def test_unknown_owner_fails_after_the_update(teamleader: Sandbox) -> None:
    with pytest.raises(PartialWriteError) as caught:
        teamleader.update({"name": "Renamed first", "owner": {"id": UNKNOWN_USER}})

    assert caught.value.applied == ["POST /projects-v2/projects.update"]
    assert caught.value.failed == f"addOwner {UNKNOWN_USER}"
    assert caught.value.not_applied == [f"removeOwner {TL['users'][0]}"]
    assert teamleader.get().name == "Renamed first"
    assert teamleader.get().owner.id == TL["users"][0]  # the project never lost its owner


def test_failure_of_the_first_call_is_a_plain_provider_error(teamleader: Sandbox) -> None:
    # Budgets are EUR only: the main update is refused, so nothing at all was applied.
    with pytest.raises(ProviderValidationError) as caught:
        teamleader.update(
            {
                "name": "Website rebuild",
                "amount": 10,
                "currency": "USD",
                "opportunity": [{"id": TL["deals"][1]}],
            }
        )

    assert not isinstance(caught.value, PartialWriteError)
    assert caught.value.to_dict()["truto_is_remote_error"] is True
    assert [r.path.removeprefix(TL_API) for r in teamleader.received] == [
        TL_MODULE_CHECK,
        "info",
        "info",  # the re-read before writing
        "update",
    ]
    assert [o.id for o in teamleader.get().opportunity] == [TL["deals"][0]]
