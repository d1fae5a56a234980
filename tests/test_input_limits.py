"""Bad input is a typed error naming the field and the integration, before anything is sent:
keys that are not strings, nesting too deep, values JSON cannot carry, options of the wrong
type, strings too long or not UTF-8, unbounded echoes (probe D10, D11, D13, D15, D16, D18,
D21, D22, D24)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from faulty_provider import FaultyProvider

from unifold import (
    InvalidFieldValueError,
    InvalidIdError,
    InvalidParameterError,
    ProviderError,
    ProviderResponseError,
    Unifold,
    UnifoldValidationError,
    UnknownAccountError,
)
from unifold.sandbox import SEED_PROJECT_IDS, SEED_REFERENCES

INTEGRATIONS = sorted(SEED_PROJECT_IDS)
SEED_REFERENCES_TL_CONTACT = SEED_REFERENCES["teamleader"]["contacts"][0]


def deep(levels: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(levels):
        node["a"] = {}
        node = node["a"]
    return root


BAD_BODIES = {
    "non-str key": ({"name": "n", 1: "x"}, "body"),
    "remote_data 1000 deep": ({"name": "n", "remote_data": deep(1000)}, "remote_data"),
    "remote_data datetime": ({"name": "n", "remote_data": {"x": datetime.now()}}, "remote_data.x"),
    "remote_data set": ({"name": "n", "remote_data": {"x": {1, 2}}}, "remote_data.x"),
    "remote_data nan": ({"name": "n", "remote_data": {"x": float("nan")}}, "remote_data.x"),
    "name 10 MiB": ({"name": "x" * (10 << 20)}, "name"),
    "name lone surrogate": ({"name": "a\ud800b"}, "name"),
    "remote_data key surrogate": ({"name": "n", "remote_data": {"\udc80": 1}}, "remote_data"),
    "remote_data long key": ({"name": "n", "remote_data": {"k" * 200_000: 1}}, "remote_data"),
}


@pytest.fixture
def sandbox() -> tuple[Unifold, dict[str, str]]:
    uf = Unifold(store=":memory:")
    return uf, {i: uf.accounts.create(i, environment="sandbox").id for i in INTEGRATIONS}


def sent(uf: Unifold, account: str) -> int:
    return len(uf.accounts.sandbox(account).received)


@pytest.mark.parametrize("integration", INTEGRATIONS)
@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_bodies_are_typed_and_nothing_is_sent(
    sandbox: tuple[Unifold, dict[str, str]], integration: str, case: str
) -> None:
    uf, accounts = sandbox
    body, field = BAD_BODIES[case]
    with pytest.raises(InvalidFieldValueError) as caught:
        uf.crm.projects.update(
            SEED_PROJECT_IDS[integration][0], body, integrated_account_id=accounts[integration]
        )
    assert caught.value.field is not None and caught.value.field.startswith(field)
    assert caught.value.integration == integration
    assert len(caught.value.message) < 400
    assert sent(uf, accounts[integration]) == 0


BAD_OPTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "exclude_fields None": ({"exclude_fields": None}, "truto_exclude_fields"),
    "exclude_fields 5": ({"exclude_fields": 5}, "truto_exclude_fields"),
    "exclude_fields [1]": ({"exclude_fields": [1]}, "truto_exclude_fields"),
    "exclude_fields [['name']]": ({"exclude_fields": [["name"]]}, "truto_exclude_fields"),
    "remote_query 10 MB": ({"remote_query": {"q": "x" * 10_000_000}}, "remote_query"),
    "remote_query object": ({"remote_query": {"q": object()}}, "remote_query"),
    "remote_query bytes": ({"remote_query": {"q": b"x"}}, "remote_query"),
    "ignore_remote_data 'no'": ({"ignore_remote_data": "no"}, "ignore_remote_data"),
    "on_unsupported bad": ({"on_unsupported": "skip"}, "on_unsupported"),
}


@pytest.mark.parametrize("integration", INTEGRATIONS)
@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_bad_options_are_typed(
    sandbox: tuple[Unifold, dict[str, str]], integration: str, case: str
) -> None:
    uf, accounts = sandbox
    options, field = BAD_OPTIONS[case]
    with pytest.raises(InvalidParameterError) as caught:
        uf.crm.projects.update(
            SEED_PROJECT_IDS[integration][0],
            {"name": "n"},
            integrated_account_id=accounts[integration],
            **options,
        )
    assert caught.value.field == field and caught.value.integration == integration
    assert sent(uf, accounts[integration]) == 0


@pytest.mark.parametrize("integration", ["capsule", "insightly", "pipeliner", "planhat"])
def test_a_query_list_of_objects_is_refused(
    sandbox: tuple[Unifold, dict[str, str]], integration: str
) -> None:
    uf, accounts = sandbox
    with pytest.raises(InvalidParameterError, match="plain values"):
        uf.crm.projects.get(
            SEED_PROJECT_IDS[integration][0],
            integrated_account_id=accounts[integration],
            remote_query={"a": [{"b": 1}]},
        )


def test_an_insightly_close_date_at_the_calendar_edge_is_typed(
    sandbox: tuple[Unifold, dict[str, str]],
) -> None:
    uf, accounts = sandbox
    for value in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        with pytest.raises(InvalidFieldValueError) as caught:
            uf.crm.projects.update(
                SEED_PROJECT_IDS["insightly"][0],
                {"close_date": value},
                integrated_account_id=accounts["insightly"],
            )
        assert caught.value.field == "close_date"


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_a_missing_body_names_the_integration(
    sandbox: tuple[Unifold, dict[str, str]], integration: str
) -> None:
    uf, accounts = sandbox
    with pytest.raises(InvalidFieldValueError) as caught:
        uf.crm.projects.update(
            SEED_PROJECT_IDS[integration][0],
            None,  # type: ignore[arg-type]
            integrated_account_id=accounts[integration],
        )
    assert caught.value.integration == integration and caught.value.field == "body"


def test_echoed_input_is_bounded(sandbox: tuple[Unifold, dict[str, str]]) -> None:
    uf, accounts = sandbox
    huge = "9" * 1_000_000
    calls = [
        (
            InvalidIdError,
            lambda: uf.crm.projects.get(huge, integrated_account_id=accounts["capsule"]),
        ),
        (UnknownAccountError, lambda: uf.crm.projects.get("12", integrated_account_id=huge)),
        (
            InvalidParameterError,
            lambda: uf.crm.projects.list(
                integrated_account_id=accounts["capsule"], next_cursor=huge
            ),
        ),
    ]
    for cls, call in calls:
        with pytest.raises(cls) as caught:
            call()
        assert len(caught.value.message) < 400
        assert len(str(caught.value.to_dict())) < 1000


def test_a_capsule_tag_without_id_or_name_is_refused_before_any_request(
    sandbox: tuple[Unifold, dict[str, str]],
) -> None:
    uf, accounts = sandbox
    with pytest.raises(InvalidFieldValueError) as caught:
        uf.crm.projects.update("12", {"tags": [{}]}, integrated_account_id=accounts["capsule"])
    assert caught.value.field == "tags.0"
    assert sent(uf, accounts["capsule"]) == 0


@pytest.mark.parametrize(
    ("integration", "current", "body"),
    [
        (
            "teamleader",
            {"data": []},
            {"name": "n", "owner": {"id": "b0000000-7e57-4d1e-9a1b-000000000002"}},
        ),
        ("capsule", {"kase": "nope"}, {"tags": [{"name": "x"}]}),
    ],
)
def test_a_current_read_without_a_record_is_a_provider_error(
    integration: str, current: Any, body: dict[str, Any]
) -> None:
    def fault(n: int, request: httpx.Request) -> tuple[bool, httpx.Response] | None:
        read = request.method == "GET" or request.url.path.endswith("projects.info")
        return (False, httpx.Response(200, json=current)) if read else None

    provider = FaultyProvider(integration, fault)
    uf, acct = provider.client()
    with pytest.raises(ProviderResponseError) as caught:
        uf.crm.projects.update(SEED_PROJECT_IDS[integration][0], body, integrated_account_id=acct)
    assert "without a project record" in caught.value.message
    assert provider.applied_writes() == []


@pytest.mark.parametrize("integration", ["capsule", "insightly"])
def test_an_id_that_is_an_object_is_no_usable_id(integration: str) -> None:
    pid = SEED_PROJECT_IDS[integration][0]
    record = {"id": {"a": 1}, "name": "x"} if integration == "capsule" else {"PROJECT_ID": {"a": 1}}
    body = {"kase": record} if integration == "capsule" else record

    def fault(n: int, request: httpx.Request) -> tuple[bool, httpx.Response]:
        return False, httpx.Response(200, json=body)

    uf, acct = FaultyProvider(integration, fault).client()
    with pytest.raises(ProviderError, match="no usable id"):
        uf.crm.projects.get(pid, integrated_account_id=acct)


def test_validation_errors_are_unifold_errors() -> None:
    assert issubclass(InvalidFieldValueError, UnifoldValidationError)


LAX = [
    ("capsule", {"close_date": 0}, "close_date"),
    ("insightly", {"close_date": -1}, "close_date"),
    ("pipeliner", {"name": "n", "close_date": 0}, "close_date"),
    ("capsule", {"name": b"x"}, "name"),
    ("planhat", {"name": b"x"}, "name"),
    ("planhat", {"amount": True}, "amount"),
    ("teamleader", {"name": "n", "amount": True}, "amount"),
    ("teamleader", {"name": "n", "amount": 5, "currency": ""}, "currency"),
]


@pytest.mark.parametrize(("integration", "body", "field"), LAX)
def test_lax_coercions_are_refused(
    sandbox: tuple[Unifold, dict[str, str]], integration: str, body: dict[str, Any], field: str
) -> None:
    uf, accounts = sandbox
    with pytest.raises(InvalidFieldValueError) as caught:
        uf.crm.projects.update(
            SEED_PROJECT_IDS[integration][0], body, integrated_account_id=accounts[integration]
        )
    assert caught.value.field == field
    received = uf.accounts.sandbox(accounts[integration]).received
    assert [r.method for r in received if r.method in ("PUT", "PATCH")] == []


@pytest.mark.parametrize(
    ("integration", "key"),
    [("insightly", "project_id"), ("insightly", "Project_Id"), ("teamleader", "ID")],
)
def test_the_id_guard_ignores_case(
    sandbox: tuple[Unifold, dict[str, str]], integration: str, key: str
) -> None:
    uf, accounts = sandbox
    other = SEED_PROJECT_IDS[integration][1]
    with pytest.raises(InvalidFieldValueError) as caught:
        uf.crm.projects.update(
            SEED_PROJECT_IDS[integration][0],
            {"name": "n", "remote_data": {key: other}},
            integrated_account_id=accounts[integration],
        )
    assert caught.value.field is not None and caught.value.field.startswith("remote_data.")
    assert sent(uf, accounts[integration]) == 0


def test_a_remote_base_url_must_use_https() -> None:
    from unifold import AccountConfigError

    uf = Unifold(store=":memory:")
    with pytest.raises(AccountConfigError, match="https") as caught:
        uf.accounts.create(
            "capsule",
            {"token": "t"},
            base_url="http://crm.example.com/api/v2",
            allow_remote_base_url=True,
        )
    assert caught.value.field == "base_url"
    acct = uf.accounts.create(
        "capsule",
        {"token": "t"},
        base_url="https://crm.example.com/api/v2",
        allow_remote_base_url=True,
    )
    assert acct.base_url == "https://crm.example.com/api/v2"


def test_related_records_per_field_are_capped(sandbox: tuple[Unifold, dict[str, str]]) -> None:
    uf, accounts = sandbox
    contacts = [{"id": SEED_REFERENCES_TL_CONTACT}] * 10_000
    with pytest.raises(InvalidFieldValueError, match="at most 100") as caught:
        uf.crm.projects.update(
            SEED_PROJECT_IDS["teamleader"][0],
            {"name": "n", "contact": contacts},
            integrated_account_id=accounts["teamleader"],
        )
    assert caught.value.field == "contact"
    assert sent(uf, accounts["teamleader"]) == 0


def test_a_provider_cap_on_related_records_is_refused_before_any_request(
    sandbox: tuple[Unifold, dict[str, str]],
) -> None:
    """The matrix's `max_items` (Capsule links one opportunity) is checked up front."""
    uf, accounts = sandbox
    opportunities = [{"id": str(i)} for i in SEED_REFERENCES["capsule"]["opportunities"][:2]]
    assert len(opportunities) == 2
    with pytest.raises(InvalidFieldValueError, match="at most 1 item") as caught:
        uf.crm.projects.update(
            SEED_PROJECT_IDS["capsule"][0],
            {"opportunity": opportunities},
            integrated_account_id=accounts["capsule"],
        )
    assert caught.value.field == "opportunity" and caught.value.accepted == "at most 1"
    assert sent(uf, accounts["capsule"]) == 0


def test_the_sandbox_keeps_only_its_latest_requests() -> None:
    from unifold.sandbox import create_provider

    provider = create_provider("planhat")
    provider.max_received = 50  # type: ignore[misc]
    for _ in range(300):
        provider.handle("GET", "/projects", [], {}, b"")
    assert 50 <= len(provider.received) <= 55


def test_a_lone_surrogate_stored_in_the_sandbox_does_not_break_its_reads() -> None:
    from unifold.sandbox import SANDBOX_CREDENTIALS, create_provider

    provider = create_provider("insightly")
    import base64

    auth = {
        "authorization": "Basic "
        + base64.b64encode(f"{SANDBOX_CREDENTIALS['insightly']['api_key']}:".encode()).decode()
    }
    pid = int(SEED_PROJECT_IDS["insightly"][0])
    body = b'{"PROJECT_ID": %d, "PROJECT_NAME": "a\\ud800b"}' % pid
    provider.handle("PUT", "/v3.1/Projects", [], auth, body)
    assert provider.handle("GET", f"/v3.1/Projects/{pid}", [], auth, b"").status == 200
    assert provider.handle("GET", "/v3.1/Projects", [], auth, b"").status == 200
