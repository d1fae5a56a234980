"""Teamleader mapping hooks (hand-written), projects-v2.

`projects.update` cannot change customers, owners or deals: those are separate idempotent calls
(addCustomer/removeCustomer, addOwner/removeOwner, addDeal/removeDeal), diffed against the
current project so arrays reach exactly the desired final state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unifold._engine.context import WriteContext
from unifold._engine.types import RefDict
from unifold.generated.crm.models import AccountRef, ContactRef, OpportunityRef, OwnerRef
from unifold.generated.crm.teamleader import TeamleaderHooksBase
from unifold.hooks._common import ids, ref

API = "/projects-v2/projects."
# "Currently only EUR is supported" for budgets (Teamleader API Blueprint, projects-v2 update).
DEFAULT_CURRENCY = "EUR"


def _customers(record: Mapping[str, Any], kind: str) -> list[str]:
    return [
        str(c.get("id"))
        for c in record.get("customers") or []
        if isinstance(c, Mapping) and c.get("type") == kind
    ]


class TeamleaderHooks(TeamleaderHooksBase):
    def read_owner(self, record: Mapping[str, Any]) -> RefDict | None:
        owners = [o for o in record.get("owners") or [] if isinstance(o, Mapping)]
        return ref(owners[0].get("id")) if owners else None

    def read_account(self, record: Mapping[str, Any]) -> RefDict | None:
        companies = _customers(record, "company")
        return ref(companies[0]) if companies else None

    def read_contact(self, record: Mapping[str, Any]) -> list[RefDict] | None:
        return [{"id": c, "name": None} for c in _customers(record, "contact")]

    def _sync_customers(self, ctx: WriteContext, kind: str, desired: list[str]) -> None:
        current = _customers(ctx.current, kind)
        for customer_id in desired:
            if customer_id not in current:
                ctx.call(
                    f"addCustomer {kind} {customer_id}",
                    "POST",
                    API + "addCustomer",
                    {"id": ctx.resource_id, "customer": {"type": kind, "id": customer_id}},
                )
        for customer_id in current:
            if customer_id not in desired:
                ctx.call(
                    f"removeCustomer {kind} {customer_id}",
                    "POST",
                    API + "removeCustomer",
                    {"id": ctx.resource_id, "customer": {"type": kind, "id": customer_id}},
                )

    def write_account(self, value: AccountRef | None, ctx: WriteContext) -> None:
        self._sync_customers(ctx, "company", [str(value.id)] if value is not None else [])

    def write_contacts(self, value: list[ContactRef] | None, ctx: WriteContext) -> None:
        self._sync_customers(ctx, "contact", ids(value))

    def write_deals(self, value: list[OpportunityRef] | None, ctx: WriteContext) -> None:
        current = [
            str(d.get("id")) for d in ctx.current.get("deals") or [] if isinstance(d, Mapping)
        ]
        desired = ids(value)
        for deal_id in desired:
            if deal_id not in current:
                ctx.call(
                    f"addDeal {deal_id}",
                    "POST",
                    API + "addDeal",
                    {"id": ctx.resource_id, "deal_id": deal_id},
                )
        for deal_id in current:
            if deal_id not in desired:
                ctx.call(
                    f"removeDeal {deal_id}",
                    "POST",
                    API + "removeDeal",
                    {"id": ctx.resource_id, "deal_id": deal_id},
                )

    def write_owner(self, value: OwnerRef | None, ctx: WriteContext) -> None:
        assert value is not None  # null is refused by the model (NOT_NULLABLE)
        desired = str(value.id)
        current = [
            str(o.get("id")) for o in ctx.current.get("owners") or [] if isinstance(o, Mapping)
        ]
        # Add before removing, so the project is never left without an owner.
        if desired not in current:
            ctx.call(
                f"addOwner {desired}",
                "POST",
                API + "addOwner",
                {"id": ctx.resource_id, "user_id": desired},
            )
        for owner_id in current:
            if owner_id != desired:
                ctx.call(
                    f"removeOwner {owner_id}",
                    "POST",
                    API + "removeOwner",
                    {"id": ctx.resource_id, "user_id": owner_id},
                )

    def write_budget(self, value: float | str | None, ctx: WriteContext) -> None:
        # amount and currency are one Money object, external_budget; map them together once.
        if "budget" in ctx.done:
            return
        ctx.done.add("budget")
        current = ctx.fetched.get("current") or {}
        budget = current.get("external_budget") if isinstance(current, Mapping) else None
        budget = budget if isinstance(budget, Mapping) else {}
        amount = ctx.given.get("amount", budget.get("amount"))
        currency = ctx.given.get("currency", budget.get("currency"))
        if "amount" in ctx.given and amount is None:
            if ctx.given.get("currency") is not None:
                ctx.invalid("currency", "a currency without an amount cannot be stored")
            ctx.body["external_budget"] = None
            return
        if amount is None:
            ctx.invalid(
                "currency",
                "Teamleader stores amount and currency together (external_budget); give an amount",
                accepted="amount with currency",
            )
        ctx.body["external_budget"] = {"amount": amount, "currency": currency or DEFAULT_CURRENCY}

    def create_owner(self, value: OwnerRef | None, ctx: WriteContext) -> None:
        ctx.body["owner_ids"] = [str(value.id)] if value is not None else []

    def create_account(self, value: AccountRef | None, ctx: WriteContext) -> None:
        if value is not None:
            ctx.body.setdefault("customers", []).append({"type": "company", "id": str(value.id)})

    def create_contacts(self, value: list[ContactRef] | None, ctx: WriteContext) -> None:
        for contact_id in ids(value):
            ctx.body.setdefault("customers", []).append({"type": "contact", "id": contact_id})
