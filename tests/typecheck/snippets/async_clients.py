"""AsyncUnifold: the same tree, every method a coroutine with the same result types."""

from typing import reveal_type

from unifold import AsyncUnifold, Unifold
from unifold.generated.crm import capsule


async def async_client(auf: AsyncUnifold, acct: str) -> None:
    reveal_type(auf.crm.projects)  # reveal: unifold.generated.crm.client.AsyncProjects
    reveal_type(auf.crm.capsule.projects)  # reveal: unifold.generated.crm.capsule.AsyncProjects
    p = await auf.crm.capsule.projects.update("1", {"name": "x"}, integrated_account_id=acct)
    reveal_type(p)  # reveal: unifold.generated.crm.capsule.Project
    s = await auf.crm.projects.get("1", integrated_account_id=acct, response_format="stream")
    reveal_type(s)  # reveal: unifold._streams.AsyncProviderStream
    page = await auf.crm.projects.list(integrated_account_id=acct, response_format="normalized")
    reveal_type(page)  # reveal: unifold._engine.flows.Page[unifold._engine.formats.NormalizedRecord]


async def forgot_await(auf: AsyncUnifold, acct: str) -> capsule.Project:
    return auf.crm.capsule.projects.get("1", integrated_account_id=acct)  # error: Incompatible return value type (got "Coroutine[Any, Any, Project]", expected "Project")


def sync_result_is_not_awaitable(uf: Unifold, acct: str) -> None:
    async def inner() -> None:
        await uf.crm.capsule.projects.get("1", integrated_account_id=acct)  # error: Incompatible types in "await" (actual type "Project"


async def async_paging(auf: AsyncUnifold, acct: str) -> None:
    records = auf.crm.projects.iter(integrated_account_id=acct, response_format="normalized")
    reveal_type(records)  # reveal: typing.AsyncIterator[unifold._engine.formats.NormalizedRecord]
    async for record in auf.crm.capsule.projects.iter(integrated_account_id=acct):
        reveal_type(record)  # reveal: unifold.generated.crm.capsule.Project
