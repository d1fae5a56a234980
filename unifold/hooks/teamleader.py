"""Teamleader mapping hooks (hand-written; created once by the generator as a skeleton).

The generator never overwrites this file. Implement each hook; the matrix
`openapi/integrations/teamleader.yaml` says where it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unifold._engine.context import WriteContext
from unifold.generated.crm.teamleader import TeamleaderHooksBase


class TeamleaderHooks(TeamleaderHooksBase):
    def create_account(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("create_account: projects.create.account")

    def create_contacts(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("create_contacts: projects.create.contact")

    def create_owner(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("create_owner: projects.create.owner")

    def read_account(self, record: Mapping[str, Any]) -> Any:
        raise NotImplementedError("read_account: projects.record.account")

    def read_contact(self, record: Mapping[str, Any]) -> Any:
        raise NotImplementedError("read_contact: projects.record.contact")

    def read_owner(self, record: Mapping[str, Any]) -> Any:
        raise NotImplementedError("read_owner: projects.record.owner")

    def write_account(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("write_account: projects.update.account")

    def write_budget(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError(
            "write_budget: projects.create.amount, projects.create.currency, projects.update.amount, projects.update.currency"
        )

    def write_contacts(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("write_contacts: projects.update.contact")

    def write_deals(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("write_deals: projects.update.opportunity")

    def write_owner(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("write_owner: projects.update.owner")
