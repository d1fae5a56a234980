"""`iter` (auto-paging) and `updated_after` (changed-since) on every sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.integration.conftest import INTEGRATIONS, Sandbox, list_pagination
from unifold import InvalidParameterError
from unifold.sandbox import SEED_PROJECT_IDS

# The provider's own changed-since filter, as it must appear on the wire (None: filtered by us).
PUSHED_DOWN = {
    "capsule": ("/kases", "since"),
    "insightly": ("/Projects/Search", "updated_after_utc"),
    "pipeliner": ("/entities/Projects", "filter[modified]"),
    "planhat": None,
}
WITH_CHANGE_TIME = tuple(PUSHED_DOWN)


def ids(records: Any) -> list[str]:
    return [r.id for r in records]


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_iter_limit_1_yields_every_project_in_order_once(
    make_sandbox: Any, integration: str
) -> None:
    box: Sandbox = make_sandbox(integration)
    projects = box.client.crm.projects
    one_page = ids(projects.list(integrated_account_id=box.account.id).result)
    before = len(box.received)
    records = projects.iter(integrated_account_id=box.account.id, limit=1)
    assert len(box.received) == before  # lazy: nothing fetched until the first record is asked
    seen = ids(records)
    assert seen == one_page  # the provider's order
    assert sorted(seen) == sorted(SEED_PROJECT_IDS[integration])
    assert len(set(seen)) == len(seen)
    pages = len(box.received) - before
    assert pages >= len(seen)  # one request per record at limit=1


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_iter_uses_the_providers_maximum_page_size(make_sandbox: Any, integration: str) -> None:
    box: Sandbox = make_sandbox(integration)
    list(box.client.crm.projects.iter(integrated_account_id=box.account.id))
    request = box.received[-1]
    sent = dict(request.query)
    if isinstance(request.json, dict):  # Teamleader pages in the JSON body
        sent.update({"page.size": str(request.json.get("page", {}).get("size"))})
    pagination = list_pagination(integration)
    assert sent[pagination.size_param] == str(pagination.max_size)


async def test_async_iter_is_an_async_iterator(make_async_sandbox: Any) -> None:
    box = make_async_sandbox("pipeliner")
    records = box.client.crm.projects.iter(integrated_account_id=box.account.id, limit=2)
    assert hasattr(records, "__anext__")
    seen = [r.id async for r in records]
    assert seen == list(SEED_PROJECT_IDS["pipeliner"])


def test_iter_checks_arguments_before_any_request(capsule: Sandbox) -> None:
    projects = capsule.client.crm.projects
    with pytest.raises(InvalidParameterError, match="response_format"):
        projects.iter(integrated_account_id=capsule.account.id, response_format="raw")
    with pytest.raises(InvalidParameterError, match="limit"):
        projects.iter(integrated_account_id=capsule.account.id, limit=0)
    assert capsule.received == []


def _touch(box: Sandbox, project_id: str, at: datetime, name: str) -> None:
    box.provider.clock = at.timestamp
    box.client.crm.projects.update(project_id, {"name": name}, integrated_account_id=box.account.id)


@pytest.mark.parametrize("integration", WITH_CHANGE_TIME)
def test_updated_after_returns_exactly_the_records_changed_after_it(
    make_sandbox: Any, integration: str
) -> None:
    box: Sandbox = make_sandbox(integration)
    first, second, *_ = SEED_PROJECT_IDS[integration]
    t1 = datetime(2030, 1, 1, 12, 0, 0, 200000, tzinfo=UTC)
    _touch(box, first, t1, "changed first")
    _touch(box, second, t1 + timedelta(seconds=2), "changed second")
    projects = box.client.crm.projects

    def changed(after: datetime, **kw: Any) -> list[str]:
        return sorted(
            ids(projects.iter(integrated_account_id=box.account.id, updated_after=after, **kw))
        )

    everything = sorted(SEED_PROJECT_IDS[integration])
    assert changed(datetime(2020, 1, 1, tzinfo=UTC)) == everything
    assert changed(datetime(2029, 12, 31, tzinfo=UTC)) == sorted([first, second])
    # Between the two changes, 0.3 s after the first: exact below the provider's granularity.
    assert changed(t1 + timedelta(seconds=0.3)) == [second]
    # Another offset means the same instant.
    cet = t1.astimezone(ZoneInfo("Europe/Brussels"))
    assert changed(cet + timedelta(seconds=0.3), limit=1) == [second]
    assert changed(t1 + timedelta(seconds=5)) == []

    box.received.clear()
    page = projects.list(integrated_account_id=box.account.id, updated_after=t1)
    assert ids(page.result) == [second]
    pushed = PUSHED_DOWN.get(integration)  # None: the matrix declares no push-down
    request = box.received[-1]
    if pushed is None:
        assert not any("updated" in k.lower() for k, _ in request.query)
    else:
        path, param = pushed
        assert request.path.endswith(path)
        assert dict(request.query)[param].startswith("2030-01-01")


def test_updated_after_refusals(make_sandbox: Any) -> None:
    capsule: Sandbox = make_sandbox("capsule")
    projects = capsule.client.crm.projects
    acct = capsule.account.id
    with pytest.raises(InvalidParameterError, match="naive") as naive:
        projects.list(integrated_account_id=acct, updated_after=datetime(2024, 1, 1))
    assert naive.value.field == "updated_after"
    with pytest.raises(InvalidParameterError, match="aware datetime"):
        projects.iter(integrated_account_id=acct, updated_after="2024-01-01T00:00:00Z")
    with pytest.raises(InvalidParameterError, match="remote_query cannot set since"):
        projects.list(
            integrated_account_id=acct,
            updated_after=datetime(2024, 1, 1, tzinfo=UTC),
            remote_query={"since": "2020-01-01"},
        )
    teamleader: Sandbox = make_sandbox("teamleader")
    with pytest.raises(InvalidParameterError, match="no change time") as tl:
        teamleader.client.crm.projects.list(
            integrated_account_id=teamleader.account.id,
            updated_after=datetime(2024, 1, 1, tzinfo=UTC),
        )
    assert tl.value.integration == "teamleader"
    planhat: Sandbox = make_sandbox("planhat")
    with pytest.raises(InvalidParameterError, match="normalized"):
        planhat.client.crm.projects.list(
            integrated_account_id=planhat.account.id,
            updated_after=datetime(2024, 1, 1, tzinfo=UTC),
            response_format="raw",
        )
    assert capsule.received == teamleader.received == planhat.received == []


def test_a_cursor_keeps_its_updated_after(planhat: Sandbox) -> None:
    first, second, third = SEED_PROJECT_IDS["planhat"]
    t1 = datetime(2030, 1, 1, tzinfo=UTC)
    _touch(planhat, first, t1, "a")
    _touch(planhat, third, t1, "c")
    projects = planhat.client.crm.projects
    acct = planhat.account.id
    page = projects.list(integrated_account_id=acct, limit=2, updated_after=t1 - timedelta(1))
    assert ids(page.result) == [first]  # the second seed is on this page but unchanged
    rest = projects.list(integrated_account_id=acct, limit=2, next_cursor=page.next_cursor)
    assert ids(rest.result) == [third]
    with pytest.raises(InvalidParameterError, match="differs") as err:
        projects.list(
            integrated_account_id=acct, limit=2, next_cursor=page.next_cursor, updated_after=t1
        )
    assert err.value.field == "updated_after"


def test_typed_integration_clients_iter_too(make_sandbox: Any) -> None:
    box: Sandbox = make_sandbox("insightly")
    typed = box.client.crm.insightly.projects
    seen = [p.id for p in typed.iter(integrated_account_id=box.account.id, limit=1)]
    assert seen == list(SEED_PROJECT_IDS["insightly"])
    changed = typed.iter(
        integrated_account_id=box.account.id, updated_after=datetime(2024, 1, 31, tzinfo=UTC)
    )
    assert all(p.updated_at > "2024-01-31" for p in changed)
    fields = typed.fields(integrated_account_id=box.account.id)
    assert [f.name for f in fields.custom_fields] == ["Budget__c", "Region__c", "Kickoff__c"]
