"""Provider parameters: Insightly's pod is required (never guessed), Pipeliner takes its
Service URL (only Pipeliner's API hosts)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from unifold import Unifold
from unifold._errors import AccountConfigError

PIPELINER_ID = "a0000000-0000-4000-8000-000000000001"


def test_insightly_without_pod_is_refused_before_any_request(tmp_path: Path) -> None:
    sent: list[httpx.Request] = []
    http = httpx.Client(
        transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200))
    )
    with Unifold(store=tmp_path / "s.sqlite3", http_client=http) as uf:
        with pytest.raises(AccountConfigError) as info:
            uf.accounts.create("insightly", {"api_key": "k"})
        error = info.value
        assert error.field == "params.pod" and error.integration == "insightly"
        assert "'pod'" in str(error) and "User Settings > API" in str(error)
        assert "https://api.<pod>.insightly.com" in str(error)
        assert uf.accounts.list() == [] and sent == []
        account = uf.accounts.create("insightly", {"api_key": "k"}, params={"pod": "eu1"})
        uf.crm.projects.get("1", integrated_account_id=account.id, response_format="raw")
    assert str(sent[0].url) == "https://api.eu1.insightly.com/v3.1/Projects/1"


def test_pipeliner_takes_its_service_url(tmp_path: Path) -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"success": True, "data": {"id": PIPELINER_ID}})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    with Unifold(store=tmp_path / "s.sqlite3", http_client=http) as uf:
        account = uf.accounts.create(
            "pipeliner",
            {"username": "u", "password": "p"},
            params={"service_url": "https://eu-central.api.pipelinersales.com", "space_id": "s1"},
        )
        uf.crm.projects.get(PIPELINER_ID, integrated_account_id=account.id, response_format="raw")
        assert sent[0].url.host == "eu-central.api.pipelinersales.com"
        assert sent[0].url.path.startswith("/api/v100/rest/spaces/s1/entities/Projects/")
        for bad in (
            "http://eu-central.api.pipelinersales.com",  # not https
            "https://eu-central.api.pipelinersales.com/",  # not the bare Service URL
            "https://eu-central.api.pipelinersales.com/api/v100",
            "https://api.pipelinersales.com.evil.example",
            "https://evil.example/.api.pipelinersales.com",
            "https://user:pw@eu-central.api.pipelinersales.com",
            "eu-central",
        ):
            with pytest.raises(AccountConfigError, match="service_url") as info:
                uf.accounts.create(
                    "pipeliner",
                    {"username": "u", "password": "p"},
                    params={"service_url": bad, "space_id": "s1"},
                )
            assert info.value.field == "params.service_url"
        with pytest.raises(AccountConfigError, match="service_url"):
            uf.accounts.create(
                "pipeliner", {"username": "u", "password": "p"}, params={"space_id": "s"}
            )
        assert len(uf.accounts.list()) == 1


@pytest.mark.parametrize("params", [1, object(), {1: "x", "pod": "na1"}, ["pod"]])
def test_params_that_are_not_a_mapping_of_names_are_refused(params: object) -> None:
    with Unifold(store=":memory:") as uf:
        with pytest.raises(AccountConfigError, match="params must be a mapping"):
            uf.accounts.create("insightly", {"api_key": "k"}, params=params)  # type: ignore[arg-type]
