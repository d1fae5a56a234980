"""Teamleader mapping hooks (hand-written), projects-v2.

`projects.update` cannot change customers, owners or deals: those are separate idempotent calls
(addCustomer/removeCustomer, addOwner/removeOwner, addDeal/removeDeal), diffed against the
current project so arrays reach exactly the desired final state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from unifold.extend import InvalidFieldValueError, ProviderCall, RefDict, WriteContext, ids, ref
from unifold.generated.crm.models import AccountRef, ContactRef, OpportunityRef, OwnerRef
from unifold.generated.crm.teamleader import ProjectCreate, ProjectUpdate, TeamleaderHooksBase

API = "/projects-v2/projects."
# "Currently only EUR is supported" for budgets (Teamleader API Blueprint, projects-v2 update).
DEFAULT_CURRENCY = "EUR"


def _items(record: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The objects of a provider list; a value of another shape reads as empty (lenient)."""
    values = record.get(key)
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def _customers(record: Mapping[str, Any], kind: str) -> list[str]:
    return [str(c.get("id")) for c in _items(record, "customers") if c.get("type") == kind]


# The field each billing method keeps the project's value in (Teamleader API Blueprint).
VALUE_FIELD = {"time_and_materials": "external_budget", "fixed_price": "fixed_price"}


def _value_money(record: Mapping[str, Any]) -> Mapping[str, Any]:
    target = VALUE_FIELD.get(str(record.get("billing_method") or "time_and_materials"))
    money = record.get(target) if target else None
    return money if isinstance(money, dict) else {}


def _given_billing(ctx: WriteContext) -> str | None:
    """The billing method this very write sets through remote_data (a string on create, an
    object {value, update_strategy} on update)."""
    given = (ctx.given.get("remote_data") or {}).get("billing_method")
    if isinstance(given, dict):
        given = given.get("value")
    return str(given) if given else None


def _billing_method(ctx: WriteContext) -> str:
    given = _given_billing(ctx)
    if given:
        return given
    if ctx.operation == "create":
        return "time_and_materials"
    return str(ctx.current.get("billing_method") or "time_and_materials")


def _related_ids(record: Mapping[str, Any], key: str) -> list[str]:
    return [str(r.get("id")) for r in _items(record, key)]


class TeamleaderHooks(TeamleaderHooksBase):
    def read_owner(self, record: Mapping[str, Any]) -> RefDict | None:
        owners = _items(record, "owners")
        return ref(owners[0].get("id")) if owners else None

    def read_account(self, record: Mapping[str, Any]) -> RefDict | None:
        companies = _customers(record, "company")
        return ref(companies[0]) if companies else None

    def read_contact(self, record: Mapping[str, Any]) -> list[RefDict] | None:
        return [{"id": c, "name": None} for c in _customers(record, "contact")]

    @staticmethod
    def _reach(
        ctx: WriteContext,
        current: list[str],
        desired: list[str],
        action: str,
        key: str,
        payload: Callable[[str], Any] = lambda value: value,
        label: str = "",
    ) -> None:
        """Calls that take `current` to exactly `desired`: adds first, then removals, so the
        project is never left without (say) an owner in between. The calls are idempotent."""
        for value, verb in [(v, "add") for v in desired if v not in current] + [
            (v, "remove") for v in current if v not in desired
        ]:
            ctx.call(
                f"{verb}{action} {label}{value}",
                "POST",
                f"{API}{verb}{action}",
                {"id": ctx.resource_id, key: payload(value)},
            )

    def _customers(self, ctx: WriteContext, kind: str, desired: list[str]) -> None:
        self._reach(
            ctx,
            _customers(ctx.current, kind),
            desired,
            "Customer",
            "customer",
            lambda customer_id: {"type": kind, "id": customer_id},
            label=f"{kind} ",
        )

    def check_budget(self, operation: str, data: ProjectCreate | ProjectUpdate) -> None:
        given = data.__pydantic_fields_set__
        if "amount" in given and data.amount is None:
            if data.currency is not None:
                raise InvalidFieldValueError(
                    "currency: a currency without an amount cannot be stored; amount: null "
                    f"clears the budget (teamleader projects.{operation})",
                    field="currency",
                    integration="teamleader",
                )

    def write_account(self, value: AccountRef | None, ctx: WriteContext) -> None:
        companies = _customers(ctx.current, "company")
        if value is not None and companies[:1] == [str(value.id)]:
            return  # what reads back as the account already: other companies are left alone
        self._customers(ctx, "company", [str(value.id)] if value is not None else [])

    def write_contacts(self, value: list[ContactRef] | None, ctx: WriteContext) -> None:
        self._customers(ctx, "contact", ids(value))

    def write_deals(self, value: list[OpportunityRef] | None, ctx: WriteContext) -> None:
        self._reach(ctx, _related_ids(ctx.current, "deals"), ids(value), "Deal", "deal_id")

    def write_owner(self, value: OwnerRef | None, ctx: WriteContext) -> None:
        assert value is not None  # null is refused by the model (NOT_NULLABLE)
        current = _related_ids(ctx.current, "owners")
        if current[:1] == [str(value.id)]:
            return  # what reads back as the owner already: co-owners stay (a round trip is a no-op)
        self._reach(ctx, current, [str(value.id)], "Owner", "user_id")

    def read_amount(self, record: Mapping[str, Any]) -> float | None:
        money = _value_money(record)
        amount = money.get("amount")
        return float(amount) if isinstance(amount, int | float) else None

    def read_currency(self, record: Mapping[str, Any]) -> str | None:
        currency = _value_money(record).get("currency")
        return str(currency) if currency else None

    def write_budget(self, value: float | str | None, ctx: WriteContext) -> None:
        # amount and currency are one Money object, in the field the billing method keeps its
        # value in: external_budget for time_and_materials, fixed_price for fixed_price
        # (both "Only allowed for" that method, Teamleader API Blueprint); non_billable has none.
        if "budget" in ctx.done:
            return
        ctx.done.add("budget")
        method = _billing_method(ctx)
        target = VALUE_FIELD.get(method)
        if target is None:
            ctx.invalid(
                "amount" if "amount" in ctx.given else "currency",
                f"this project's billing method is {method}, which holds no amount; "
                f"Teamleader keeps one only for {' or '.join(VALUE_FIELD)}",
                accepted=sorted(VALUE_FIELD),
            )
        if ctx.operation == "create" and not _given_billing(ctx):
            ctx.body["billing_method"] = method  # explicit: the account default is undocumented
        current = ctx.fetched.get("current") or {}
        money = current.get(target) if isinstance(current, dict) else None
        money = money if isinstance(money, dict) else {}
        amount = ctx.given.get("amount", money.get("amount"))
        currency = ctx.given.get("currency", money.get("currency"))
        if "amount" in ctx.given and amount is None:
            ctx.body[target] = None
            return
        if amount is None:
            ctx.invalid(
                "currency",
                f"Teamleader stores amount and currency together ({target}); give an amount",
                accepted="amount with currency",
            )
        if currency == "":  # given empty: not silently replaced by the default
            ctx.invalid("currency", "an empty currency; give a code such as 'EUR'")
        ctx.body[target] = {"amount": amount, "currency": currency or DEFAULT_CURRENCY}

    def create_owner(self, value: OwnerRef | None, ctx: WriteContext) -> None:
        if value is None:
            return
        wanted = str(value.id)
        ctx.body["owner_ids"] = [wanted]

        # owner_ids are *additional* owners: "The creator is automatically added as an owner"
        # (Teamleader OpenAPI 1.220.0, projects-v2 create). The requested owner must be the
        # owner, so every other one is removed once the project exists.
        def drop_others(project_id: str, record: Mapping[str, Any]) -> list[ProviderCall]:
            return [
                ProviderCall(
                    f"removeOwner {other}",
                    "POST",
                    f"{API}removeOwner",
                    {"id": project_id, "user_id": other},
                )
                for other in _related_ids(record, "owners")
                if other != wanted
            ]

        ctx.after.append(drop_others)

    def create_account(self, value: AccountRef | None, ctx: WriteContext) -> None:
        if value is not None:
            ctx.body.setdefault("customers", []).append({"type": "company", "id": str(value.id)})

    def create_contacts(self, value: list[ContactRef] | None, ctx: WriteContext) -> None:
        for contact_id in ids(value):
            ctx.body.setdefault("customers", []).append({"type": "contact", "id": contact_id})
