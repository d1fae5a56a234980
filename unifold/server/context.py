"""What every route needs: the account store, the library client over it, the server's limits."""

from __future__ import annotations

from dataclasses import dataclass

from unifold import _errors as errors
from unifold._accounts import AccountStore, IntegratedAccount
from unifold._client import AsyncUnifold


def unknown_account(account_id: str) -> errors.UnknownAccountError:
    # One message for "no such id" and "another tenant's id": nothing tells them apart.
    return errors.UnknownAccountError(f"no integrated account with id {account_id!r}")


@dataclass
class ServerContext:
    store: AccountStore
    client: AsyncUnifold
    max_body_bytes: int
    owns_store: bool = True

    async def visible_account(self, tenant: str, account_id: str) -> IntegratedAccount:
        """The account, if it exists and belongs to `tenant`; else 404."""
        if "\x00" in account_id:  # no id has one, and PostgreSQL text cannot even hold it
            raise unknown_account(account_id)
        account = self.store.get(account_id, tenant)  # inline: see auth.py
        if account is None:
            raise unknown_account(account_id)
        return account

    async def aclose(self) -> None:
        await self.client.aclose()  # it leaves the store it was handed open
        if self.owns_store:
            self.store.close()
