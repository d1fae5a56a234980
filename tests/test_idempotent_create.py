"""Idempotent creates (issue 11, finding 7): a create whose answer was lost is not made twice.

The provider here applies the create and then its answer is a 502, as when a proxy or the
network fails after the provider acted. With the matrix's way of finding the project (a marker,
or a search bounded by the attempt's start) unifold finds it instead of creating a second one;
where the integration names none, the key says the outcome is unknown instead of guessing.
"""

from __future__ import annotations

import httpx
import pytest
from faulty_provider import FaultyProvider, Sent

from unifold import ProviderServerError, UnclearCreateError
from unifold.sandbox import SEED_REFERENCES

BODIES = {
    "planhat": {"name": "Launch", "account": {"id": SEED_REFERENCES["planhat"]["companies"][0]}},
    "insightly": {"name": "Launch", "status": "in progress"},
    "capsule": {"name": "Launch", "account": {"id": SEED_REFERENCES["capsule"]["parties"][0]}},
    "teamleader": {"name": "Launch"},
}
CREATE_PATH = {
    "planhat": "/projects",
    "insightly": "/v3.1/Projects",
    "capsule": "/api/v2/kases",
    "teamleader": "/projects-v2/projects.create",
}


def lose_the_first_create_answer(integration: str) -> FaultyProvider:
    def fault(n: int, request: httpx.Request) -> tuple[bool, httpx.Response] | None:
        creates = [s for s in provider.sent if s.path == CREATE_PATH[integration]]
        if request.method == "POST" and request.url.path == CREATE_PATH[integration]:
            if not creates:
                return True, httpx.Response(502, text="Bad Gateway")  # applied, answer lost
        return None

    provider = FaultyProvider(integration, fault)
    return provider


def creates(sent: list[Sent], integration: str) -> list[Sent]:
    return [s for s in sent if s.method == "POST" and s.path == CREATE_PATH[integration]]


@pytest.mark.parametrize("integration", ["planhat", "insightly", "capsule"])
def test_a_lost_create_answer_finds_the_project_instead_of_creating_twice(
    integration: str,
) -> None:
    provider = lose_the_first_create_answer(integration)
    uf, acct = provider.client()
    with uf:
        project = uf.crm.projects.create(
            BODIES[integration], integrated_account_id=acct, idempotency_key="order-1"
        )
        assert project.name == "Launch"
        assert len(creates(provider.sent, integration)) == 1  # found, not sent again
        # The same key later: the project it made, without a second create.
        again = uf.crm.projects.create(
            BODIES[integration], integrated_account_id=acct, idempotency_key="order-1"
        )
    assert again.id == project.id
    assert len(creates(provider.sent, integration)) == 1


def test_without_a_key_one_is_generated_for_the_call() -> None:
    provider = lose_the_first_create_answer("planhat")
    uf, acct = provider.client()
    with uf:
        project = uf.crm.projects.create(BODIES["planhat"], integrated_account_id=acct)
    assert project.name == "Launch"
    assert len(creates(provider.sent, "planhat")) == 1


def test_a_create_that_was_not_made_is_sent_again_with_the_same_key() -> None:
    def fault(n: int, request: httpx.Request) -> tuple[bool, httpx.Response] | None:
        if request.method == "POST" and not provider.sent:
            return False, httpx.Response(502, text="Bad Gateway")  # not applied
        return None

    provider = FaultyProvider("planhat", fault)
    uf, acct = provider.client()
    with uf:
        project = uf.crm.projects.create(
            BODIES["planhat"], integrated_account_id=acct, idempotency_key="order-2"
        )
    posts = creates(provider.sent, "planhat")
    assert [p.applied for p in posts] == [False, True]
    assert project.name == "Launch"


def test_where_nothing_can_find_it_the_outcome_is_reported_unknown() -> None:
    provider = lose_the_first_create_answer("teamleader")
    uf, acct = provider.client()
    with uf:
        with pytest.raises(ProviderServerError):
            uf.crm.projects.create(
                BODIES["teamleader"], integrated_account_id=acct, idempotency_key="order-3"
            )
        with pytest.raises(UnclearCreateError) as caught:
            uf.crm.projects.create(
                BODIES["teamleader"], integrated_account_id=acct, idempotency_key="order-3"
            )
    assert "order-3" in caught.value.message
    assert len(creates(provider.sent, "teamleader")) == 1  # never a second create


def test_an_idempotency_key_must_be_a_short_printable_string() -> None:
    provider = FaultyProvider("planhat")
    uf, acct = provider.client()
    from unifold import InvalidParameterError

    with uf, pytest.raises(InvalidParameterError):
        uf.crm.projects.create(BODIES["planhat"], integrated_account_id=acct, idempotency_key="")
