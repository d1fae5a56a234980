"""What every route needs: the library client, the tenant store and the server's limits."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from unifold import _errors as errors
from unifold._accounts import IntegratedAccount
from unifold._client import AsyncUnifold
from unifold.server.tenancy import TenantStore


def unknown_account(account_id: str) -> errors.UnknownAccountError:
    # One message for "no such id" and "another tenant's id": nothing tells them apart.
    return errors.UnknownAccountError(f"no integrated account with id {account_id!r}")


@dataclass
class ServerContext:
    client: AsyncUnifold
    tenants: TenantStore
    max_body_bytes: int

    async def visible_account(self, tenant: str, account_id: str) -> IntegratedAccount:
        """The account, if it exists and belongs to `tenant`; else 404."""
        if not await run_in_threadpool(self.tenants.owns, tenant, account_id):
            raise unknown_account(account_id)
        account = self.client._core._store.get(account_id)
        if account is None:
            raise unknown_account(account_id)
        return account

    async def aclose(self) -> None:
        await self.client.aclose()
        self.tenants.close()
