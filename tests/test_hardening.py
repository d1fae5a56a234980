"""Edge cases found in review: secrets, silent drops, half-done writes, lenient reads."""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

import pytest

from unifold import (
    AccountConfigError,
    InvalidFieldValueError,
    InvalidParameterError,
    ProviderError,
    Unifold,
    UnsupportedFieldError,
)
from unifold.generated.crm import planhat
from unifold.generated.crm.registry import INTEGRATIONS
from unifold.sandbox import SEED_PROJECT_IDS, SEED_REFERENCES

SECRET = "pat_SECRET_value_123"


@pytest.fixture
def uf() -> Unifold:
    return Unifold(store=":memory:")


@pytest.mark.parametrize("credentials", [SECRET, [("token", SECRET)], {SECRET: "x"}])
def test_misplaced_secrets_are_never_echoed(uf: Unifold, credentials: object) -> None:
    with pytest.raises(AccountConfigError) as caught:
        uf.accounts.create("capsule", credentials)  # type: ignore[arg-type]
    assert SECRET not in str(caught.value) and SECRET not in str(caught.value.to_dict())
    assert "token" in caught.value.message


def test_credentials_must_be_header_safe(uf: Unifold) -> None:
    with pytest.raises(AccountConfigError, match="printable ASCII") as caught:
        uf.accounts.create("capsule", {"token": "tökenSECRET"})
    assert "SECRET" not in str(caught.value)


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:9/api?x=1", "http://u:p@127.0.0.1:9/api", "http://127.0.0.1/a#f", 5],
)
def test_base_url_must_be_a_plain_url(uf: Unifold, base_url: object) -> None:
    with pytest.raises(AccountConfigError, match="base_url"):
        uf.accounts.create("capsule", {"token": "t"}, base_url=base_url)  # type: ignore[arg-type]


def test_store_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "accounts.sqlite3"
    Unifold(store=path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_nested_unknown_keys_are_errors_and_nothing_is_sent(uf: Unifold) -> None:
    acct = uf.accounts.create("capsule", environment="sandbox")
    box = uf.accounts.sandbox(acct.id)
    for body in ({"account": {"id": "893", "foo": 1}}, {"tags": [{"name": "A", "color": "r"}]}):
        with pytest.raises(UnsupportedFieldError) as caught:
            uf.crm.projects.update(
                SEED_PROJECT_IDS["capsule"][0], body, integrated_account_id=acct.id
            )
        assert caught.value.field in ("account.foo", "tags.0.color")
    assert box.received == []


def test_the_integrations_own_model_is_validated_again(uf: Unifold) -> None:
    acct = uf.accounts.create("planhat", environment="sandbox")
    box = uf.accounts.sandbox(acct.id)
    body = planhat.ProjectUpdate(name="ok")
    body.name = None  # changed after construction: no validation ran
    with pytest.raises(InvalidFieldValueError, match="name cannot be null on planhat"):
        uf.crm.projects.update(SEED_PROJECT_IDS["planhat"][0], body, integrated_account_id=acct.id)
    forged = planhat.ProjectUpdate.model_construct(name=None)
    with pytest.raises(InvalidFieldValueError):
        uf.crm.projects.update(
            SEED_PROJECT_IDS["planhat"][0], forged, integrated_account_id=acct.id
        )
    assert box.received == []


def test_nan_and_infinity_are_not_json(uf: Unifold) -> None:
    acct = uf.accounts.create("planhat", environment="sandbox")
    for value in (math.nan, math.inf):
        with pytest.raises(InvalidFieldValueError, match="amount"):
            uf.crm.projects.update(
                SEED_PROJECT_IDS["planhat"][0], {"amount": value}, integrated_account_id=acct.id
            )
    assert uf.accounts.sandbox(acct.id).received == []


def test_checks_that_need_no_provider_data_run_before_any_fetch(uf: Unifold) -> None:
    acct = uf.accounts.create("teamleader", environment="sandbox")
    box = uf.accounts.sandbox(acct.id)
    pid = SEED_PROJECT_IDS["teamleader"][0]
    bodies = [
        {"name": "n", "opportunity": [{"id": "not-a-uuid"}]},
        {"name": "n", "owner": {"id": "../x"}},
        {"name": "n", "currency": None},
        {"name": "n", "amount": None, "currency": "EUR"},
    ]
    for body in bodies:
        with pytest.raises(InvalidFieldValueError):
            uf.crm.projects.update(pid, body, integrated_account_id=acct.id)
    assert box.received == []


def test_close_date_keeps_the_callers_calendar_date(uf: Unifold) -> None:
    acct = uf.accounts.create("pipeliner", environment="sandbox")
    uf.crm.projects.update(
        SEED_PROJECT_IDS["pipeliner"][0],
        {"close_date": "2024-12-31T23:30:00-08:00"},
        integrated_account_id=acct.id,
    )
    assert uf.accounts.sandbox(acct.id).received[-1].json == {"end_date": "2024-12-31"}


def test_unexpected_provider_values_do_not_break_reads(uf: Unifold) -> None:
    acct = uf.accounts.create("capsule", environment="sandbox")
    box = uf.accounts.sandbox(acct.id)
    raw = {
        "id": 99,
        "name": "Odd",
        "party": {"id": 892, "type": "organisation", "name": 7},
        "owner": {"id": 61, "name": ["not", "text"]},
        "status": "ARCHIVED",
    }
    pid = box.put_project(raw)
    project = uf.crm.projects.get(pid, integrated_account_id=acct.id)
    assert project.name == "Odd" and project.status == "ARCHIVED"  # unknown enum passes through
    assert project.owner is None  # unreadable shape: None, the value stays in remote_data
    assert project.remote_data is not None and project.remote_data["owner"]["name"] == [
        "not",
        "text",
    ]


def test_a_record_without_id_is_a_clear_provider_error(uf: Unifold) -> None:
    from unifold._engine.connector import load_connector
    from unifold._engine.flows import CallOptions, to_record

    with pytest.raises(ProviderError, match="no usable id"):
        to_record(load_connector("planhat"), {"name": "no id"}, CallOptions())


def test_remote_query_must_be_a_mapping_and_cannot_steer_paging(uf: Unifold) -> None:
    acct = uf.accounts.create("capsule", environment="sandbox")
    with pytest.raises(InvalidParameterError, match="remote_query must be a mapping"):
        uf.crm.projects.get("12", integrated_account_id=acct.id, remote_query="a=b")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="cannot set perPage"):
        uf.crm.projects.list(integrated_account_id=acct.id, remote_query={"perPage": 5})
    uf.crm.projects.get(
        "12", integrated_account_id=acct.id, remote_query={"embed": "fields", "x": None}
    )
    assert uf.accounts.sandbox(acct.id).received[-1].query == (("embed", "fields"),)


def test_a_page_cursor_keeps_its_page_size(uf: Unifold) -> None:
    acct = uf.accounts.create("capsule", environment="sandbox")
    first = uf.crm.projects.list(integrated_account_id=acct.id, limit=1)
    second = uf.crm.projects.list(integrated_account_id=acct.id, next_cursor=first.next_cursor)
    assert [p.id for p in second.result] == [SEED_PROJECT_IDS["capsule"][1]]
    with pytest.raises(InvalidParameterError, match="page size"):
        uf.crm.projects.list(integrated_account_id=acct.id, limit=5, next_cursor=first.next_cursor)
    with pytest.raises(InvalidParameterError, match="limit"):
        uf.crm.projects.list(integrated_account_id=acct.id, limit=True)  # type: ignore[arg-type]


def test_teamleader_account_already_linked_changes_nothing(uf: Unifold) -> None:
    acct = uf.accounts.create("teamleader", environment="sandbox")
    box = uf.accounts.sandbox(acct.id)
    pid = SEED_PROJECT_IDS["teamleader"][0]
    current = uf.crm.projects.get(pid, integrated_account_id=acct.id)
    before = len(box.received)
    uf.crm.projects.update(
        pid,
        {"name": current.name, "account": {"id": current.account.id}},
        integrated_account_id=acct.id,
    )
    paths = [r.path for r in box.received[before:]]
    assert not any("Customer" in p for p in paths)
    assert SEED_REFERENCES["teamleader"]["companies"][0] == current.account.id


def test_support_table_is_available_from_the_client(uf: Unifold) -> None:
    table = uf.crm.support("capsule")
    assert table["projects"]["update"]["request"]["contact"]["max_items"] == 1
    assert set(uf.crm.support()) == set(INTEGRATIONS)
    with pytest.raises(Exception, match="unknown integration"):
        uf.crm.support("hubspot")


def test_teamleader_remote_query_goes_into_the_body_and_cannot_retarget(uf: Unifold) -> None:
    acct = uf.accounts.create("teamleader", environment="sandbox")
    page = uf.crm.projects.list(
        integrated_account_id=acct.id, remote_query={"filter": {"status": "open"}}
    )
    sent = uf.accounts.sandbox(acct.id).received[-1]
    assert sent.json["filter"] == {"status": "open"} and sent.query == ()
    assert page.result_count >= 1
    with pytest.raises(InvalidParameterError, match="cannot set page"):
        uf.crm.projects.list(integrated_account_id=acct.id, remote_query={"page": {"size": 1}})
    other = SEED_PROJECT_IDS["teamleader"][1]
    with pytest.raises(InvalidParameterError, match="remote_query.id"):
        uf.crm.projects.get(
            SEED_PROJECT_IDS["teamleader"][0],
            integrated_account_id=acct.id,
            remote_query={"id": other},
        )


def test_async_methods_are_coroutine_functions() -> None:
    import inspect

    from unifold.generated.crm.capsule import AsyncProjects as AsyncCapsuleProjects
    from unifold.generated.crm.client import AsyncProjects

    for cls in (AsyncProjects, AsyncCapsuleProjects):
        for name in ("update", "get", "list", "create", "delete"):
            assert inspect.iscoroutinefunction(getattr(cls, name)), name
        assert "integrated_account_id" in str(inspect.signature(cls.update))


def test_capsule_create_needs_a_main_party(uf: Unifold) -> None:
    acct = uf.accounts.create("capsule", environment="sandbox")
    with pytest.raises(InvalidFieldValueError, match="party is required"):
        uf.crm.projects.create({"name": "x"}, integrated_account_id=acct.id)
    assert uf.accounts.sandbox(acct.id).received == []


def test_non_finite_numbers_in_free_form_values_are_refused(uf: Unifold) -> None:
    acct = uf.accounts.create("planhat", environment="sandbox")
    with pytest.raises(InvalidFieldValueError, match="remote_data.x.0"):
        uf.crm.projects.update(
            SEED_PROJECT_IDS["planhat"][0],
            {"remote_data": {"x": [math.nan]}},
            integrated_account_id=acct.id,
        )
    with pytest.raises(InvalidParameterError, match="next_cursor must be"):
        uf.crm.projects.list(integrated_account_id=acct.id, next_cursor=5)  # type: ignore[arg-type]
    assert uf.accounts.sandbox(acct.id).received == []
