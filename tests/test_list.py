"""`list`: Truto's cursor envelope over each provider's own pagination style."""

from __future__ import annotations

import pytest

from unifold import AsyncUnifold, InvalidParameterError, Unifold
from unifold.sandbox import INTEGRATIONS, SEED_PROJECT_IDS


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_pages_cover_every_project_once(integration: str) -> None:
    with Unifold(store=":memory:") as uf:
        acct = uf.accounts.create(integration, environment="sandbox")
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            page = uf.crm.projects.list(integrated_account_id=acct.id, limit=2, next_cursor=cursor)
            assert page.result_count == len(page.result) <= 2
            seen += [p.id for p in page.result]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert cursor is None
        assert sorted(seen) == sorted(SEED_PROJECT_IDS[integration])
        assert page.to_dict()["next_cursor"] is None


@pytest.mark.parametrize("integration", ["capsule", "teamleader"])
def test_list_formats(integration: str) -> None:
    with Unifold(store=":memory:") as uf:
        acct = uf.accounts.create(integration, environment="sandbox")
        normalized = uf.crm.projects.list(
            integrated_account_id=acct.id, response_format="normalized"
        )
        assert all("remote_data" not in r and None not in r.values() for r in normalized.result)
        raw = uf.crm.projects.list(integrated_account_id=acct.id, response_format="raw")
        assert isinstance(raw, dict) and ("kases" in raw or "data" in raw)


def test_cursor_from_another_integration_or_garbage_is_refused() -> None:
    with Unifold(store=":memory:") as uf:
        capsule = uf.accounts.create("capsule", environment="sandbox")
        planhat = uf.accounts.create("planhat", environment="sandbox")
        cursor = uf.crm.projects.list(integrated_account_id=capsule.id, limit=1).next_cursor
        assert cursor is not None
        with pytest.raises(InvalidParameterError, match="not a cursor from a planhat list"):
            uf.crm.projects.list(integrated_account_id=planhat.id, next_cursor=cursor)
        with pytest.raises(InvalidParameterError, match="next_cursor"):
            uf.crm.projects.list(integrated_account_id=planhat.id, next_cursor="%%%")
        with pytest.raises(InvalidParameterError, match="limit must be a positive integer"):
            uf.crm.projects.list(integrated_account_id=planhat.id, limit=0)


async def test_async_list() -> None:
    async with AsyncUnifold(store=":memory:") as uf:
        acct = uf.accounts.create("pipeliner", environment="sandbox")
        page = await uf.crm.projects.list(integrated_account_id=acct.id, limit=100)
        assert sorted(p.id for p in page.result) == sorted(SEED_PROJECT_IDS["pipeliner"])
        assert page.next_cursor is None
