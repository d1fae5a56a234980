"""Provider answers unifold cannot use: bodies that are not JSON, answers too large, gzip bombs,
a read-back that fails after the write. Each is a typed error, and one that comes after an
accepted write says the write was applied (so nobody sends it again)."""

from __future__ import annotations

import gzip

import httpx
import pytest
from faulty_provider import FaultyProvider, is_write

from unifold import (
    PartialWriteError,
    ProviderResponseError,
    ResponseTooLargeError,
    Unifold,
    WriteAppliedError,
)
from unifold.sandbox import SEED_PROJECT_IDS, SEED_REFERENCES

GARBAGE = [
    b'{"kase": {"id": 12, "name": "x"',  # truncated
    b"<html><body>502 Bad Gateway</body></html>",
    b'{"name": "\xff\xfe"}',  # not UTF-8
    b"[" * 100_000 + b"]" * 100_000,  # too deep for the parser
]
TL = SEED_REFERENCES["teamleader"]


def garbled(body: bytes, when: str = "write", status: int = 200):  # type: ignore[no-untyped-def]
    def fault(n: int, request: httpx.Request) -> tuple[bool, httpx.Response] | None:
        hit = is_write(request) if when == "write" else not is_write(request)
        return (True, httpx.Response(status, content=body)) if hit else None

    return fault


@pytest.mark.parametrize("body", GARBAGE, ids=["truncated", "html", "utf8", "deep"])
def test_an_applied_update_with_an_unreadable_answer_says_it_was_applied(body: bytes) -> None:
    provider = FaultyProvider("capsule", garbled(body))
    uf, acct = provider.client()
    with pytest.raises(WriteAppliedError) as caught:
        uf.crm.projects.update("12", {"name": "x"}, integrated_account_id=acct)
    assert caught.value.applied == ["PUT /kases/{id}"]
    assert isinstance(caught.value.cause, ProviderResponseError)
    assert caught.value.cause.provider_status == 200
    assert caught.value.to_dict()["truto_error_insight"]["write_applied"]["value"]["applied"]
    assert [s.method for s in provider.applied_writes()] == ["PUT"]


def test_a_teamleader_create_answered_with_garbage_is_reported_applied() -> None:
    provider = FaultyProvider("teamleader", garbled(b"not json", status=201))
    uf, acct = provider.client()
    with pytest.raises(WriteAppliedError) as caught:
        uf.crm.projects.create(
            {"name": "New", "account": {"id": TL["companies"][0]}}, integrated_account_id=acct
        )
    assert caught.value.applied == ["POST /projects-v2/projects.create"]
    assert len(provider.applied_writes()) == 1


def test_a_failed_read_back_after_every_write_is_not_a_partial_write() -> None:
    calls = 0

    def fault(n: int, request: httpx.Request) -> tuple[bool, httpx.Response] | None:
        nonlocal calls
        if request.url.path.endswith("projects.info"):
            calls += 1
            if calls == 3:  # the read-back, after the conflict re-read and the writes
                return True, httpx.Response(500, json={"errors": [{"title": "boom"}]})
        return None

    provider = FaultyProvider("teamleader", fault)
    uf, acct = provider.client()
    with pytest.raises(WriteAppliedError) as caught:
        uf.crm.projects.update(
            SEED_PROJECT_IDS["teamleader"][0],
            {"name": "n", "owner": {"id": TL["users"][1]}},
            integrated_account_id=acct,
            max_retries=0,
        )
    assert not isinstance(caught.value, PartialWriteError)
    assert caught.value.applied == [
        "POST /projects-v2/projects.update",
        f"addOwner {TL['users'][1]}",
        f"removeOwner {TL['users'][0]}",
    ]
    assert caught.value.not_applied == []
    assert "was applied" in caught.value.message


def test_a_prefetch_with_garbage_is_a_typed_error_before_any_write() -> None:
    provider = FaultyProvider("teamleader", garbled(b"{oops", when="read"))
    uf, acct = provider.client()
    with pytest.raises(ProviderResponseError) as caught:
        uf.crm.projects.update(
            SEED_PROJECT_IDS["teamleader"][0],
            {"name": "n", "owner": {"id": TL["users"][1]}},
            integrated_account_id=acct,
        )
    assert not isinstance(caught.value, WriteAppliedError)
    assert caught.value.status_code == 502
    assert provider.applied_writes() == []


def test_raw_format_keeps_a_non_json_body_as_text() -> None:
    provider = FaultyProvider("capsule", garbled(b"<html>ok</html>", when="read"))
    uf, acct = provider.client()
    assert uf.crm.projects.get("12", integrated_account_id=acct, response_format="raw") == (
        "<html>ok</html>"
    )


def test_an_answer_over_max_response_bytes_is_not_read() -> None:
    big = b'{"kase": {"id": 12, "name": "' + b"x" * 300_000 + b'"}}'
    provider = FaultyProvider("capsule", garbled(big, when="read"))
    uf, acct = provider.client(max_response_bytes=100_000)
    with pytest.raises(ResponseTooLargeError, match="max_response_bytes"):
        uf.crm.projects.get("12", integrated_account_id=acct)
    uf2, acct2 = provider.client()
    assert uf2.crm.projects.get("12", integrated_account_id=acct2).name.startswith("xxx")


def test_a_gzip_bomb_stops_at_the_decompression_ratio() -> None:
    bomb = gzip.compress(b'{"kase": {"id": 12, "name": "' + b"0" * 200_000_000 + b'"}}')
    assert len(bomb) < 300_000

    def fault(n: int, request: httpx.Request) -> tuple[bool, httpx.Response]:
        # As it arrives over a socket: in chunks, each decompressed as it comes.
        chunks = iter([bomb[i : i + 16384] for i in range(0, len(bomb), 16384)])
        return False, httpx.Response(200, content=chunks, headers={"Content-Encoding": "gzip"})

    uf, acct = FaultyProvider("capsule", fault).client()
    with pytest.raises(ResponseTooLargeError, match="decompresses"):
        uf.crm.projects.get("12", integrated_account_id=acct, response_format="raw")


def test_an_applied_write_whose_answer_is_too_large_says_it_was_applied() -> None:
    provider = FaultyProvider("planhat", garbled(b"[" + b" " * 2_000_000 + b"]"))
    uf, acct = provider.client(max_response_bytes=1_000_000)
    with pytest.raises(WriteAppliedError) as caught:
        uf.crm.projects.update(
            SEED_PROJECT_IDS["planhat"][0], {"name": "x"}, integrated_account_id=acct
        )
    assert isinstance(caught.value.cause, ResponseTooLargeError)


def test_error_bodies_are_kept_up_to_a_bound() -> None:
    def fault(n: int, request: httpx.Request) -> tuple[bool, httpx.Response]:
        return False, httpx.Response(500, content=b"e" * 5_000_000)

    uf, acct = FaultyProvider("capsule", fault).client(max_retries=0)
    with pytest.raises(Exception) as caught:
        uf.crm.projects.get("12", integrated_account_id=acct)
    assert len(caught.value.raw_response) == 1024 * 1024  # type: ignore[attr-defined]
    assert len(caught.value.message) < 700  # type: ignore[attr-defined]


def test_limits_are_checked() -> None:
    from unifold import InvalidParameterError

    for option, value in [
        ("max_response_bytes", 0),
        ("max_decompression_ratio", 0.5),
        ("max_concurrency", "10"),
        ("max_concurrency_per_account", 0),
    ]:
        with pytest.raises(InvalidParameterError) as caught:
            Unifold(store=":memory:", **{option: value})  # type: ignore[arg-type]
        assert caught.value.field == option
