"""Capsule mapping hooks (hand-written). Projects are `kases`; the body is `{"kase": {...}}`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unifold.extend import InvalidFieldValueError, RefDict, WriteContext, int_id, ref
from unifold.generated.crm.capsule import CapsuleHooksBase, ProjectCreate, ProjectUpdate
from unifold.generated.crm.models import ContactRef, OpportunityRef, TagInput


def _party_name(party: Mapping[str, Any]) -> str | None:
    if party.get("name"):
        return str(party["name"])
    parts = [party.get("firstName"), party.get("lastName")]
    return " ".join(p for p in parts if p) or None


class CapsuleHooks(CapsuleHooksBase):
    def read_custom_fields(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        # embed=fields: [{id, value, definition: {id, name}}], keyed here by the definition's
        # name, the key write_custom_fields takes. Absent without embed=fields: None, not {}.
        fields = record.get("fields")
        if not isinstance(fields, list):
            return None
        return {
            str(f["definition"]["name"]): f.get("value")
            for f in fields
            if isinstance(f, dict)
            and isinstance(f.get("definition"), dict)
            and f["definition"].get("name")
        }

    # A project has one main `party` (required): an organisation reads as the account, a
    # person as the contact (Capsule v2 Project model: "party ... the main contact").
    def read_account(self, record: Mapping[str, Any]) -> RefDict | None:
        party = record.get("party")
        if not isinstance(party, dict) or party.get("type") == "person":
            return None
        return ref(party.get("id"), _party_name(party))

    def read_contact(self, record: Mapping[str, Any]) -> list[RefDict] | None:
        party = record.get("party")
        if not isinstance(party, dict):
            return None
        if party.get("type") != "person":
            return []
        found = ref(party.get("id"), _party_name(party))
        return [found] if found else []

    def read_opportunity(self, record: Mapping[str, Any]) -> list[RefDict] | None:
        opportunity = record.get("opportunity")
        if not isinstance(opportunity, dict):
            return []
        found = ref(opportunity.get("id"), opportunity.get("name"))
        return [found] if found else []

    def check_main_party(self, operation: str, data: ProjectCreate | ProjectUpdate) -> None:
        contact, account = data.contact, data.account
        if operation == "create" and not contact and account is None:
            raise InvalidFieldValueError(
                "account: Capsule requires a main party on every project ('party is "
                "required'); give an account or one contact (capsule projects.create)",
                field="account",
                integration="capsule",
                accepted="an account or exactly one contact",
            )
        if contact and account is not None and str(account.id) != str(contact[0].id):
            raise InvalidFieldValueError(
                "contact: account and contact both set Capsule's single main party; give one "
                f"of them (capsule projects.{operation})",
                field="contact",
                integration="capsule",
            )

    def check_tags(self, operation: str, data: ProjectUpdate) -> None:
        for index, tag in enumerate(data.tags or []):
            if tag.id is None and not tag.name:  # needs no provider data: refused before the GET
                raise InvalidFieldValueError(
                    f"tags.{index}: a tag needs an id or a name (capsule projects.{operation})",
                    field=f"tags.{index}",
                    integration="capsule",
                )

    def write_contact(self, value: list[ContactRef] | None, ctx: WriteContext) -> None:
        if value:
            ctx.body["party"] = {"id": int_id(ctx, "contact.0.id", value[0].id)}
            return
        if ctx.given.get("account") is not None:
            return  # the account becomes the main party: no person remains
        party = (ctx.fetched.get("current") or {}).get("party")
        if isinstance(party, dict) and party.get("type") == "person":
            ctx.invalid(
                "contact",
                "the project's main party is this contact and Capsule requires one ('party is "
                "required'); give an account to replace it",
                accepted="exactly one contact, or an account",
            )
        # Otherwise no person is linked already: [] is the state the project is in.

    def write_opportunity(self, value: list[OpportunityRef] | None, ctx: WriteContext) -> None:
        ctx.body["opportunity"] = (
            {"id": int_id(ctx, "opportunity.0.id", value[0].id)} if value else None
        )

    def write_tags(self, value: list[TagInput] | None, ctx: WriteContext) -> None:
        # Tags change only through the project PUT: add by name, remove with
        # {"id": N, "_delete": true}; removing an unattached tag is a 422 (Capsule Tag docs).
        current = [t for t in ctx.current.get("tags") or [] if isinstance(t, dict)]
        by_id = {str(t.get("id")): t for t in current}
        by_name = {str(t.get("name", "")).casefold(): t for t in current}
        keep: set[str] = set()
        changes: list[dict[str, Any]] = []
        for index, tag in enumerate(value or []):
            if tag.id is None and not tag.name:
                ctx.invalid(f"tags.{index}", "a tag needs an id or a name")
            match = by_id.get(str(tag.id)) if tag.id is not None else None
            if match is None and tag.name:
                match = by_name.get(tag.name.casefold())
            if match is not None:
                keep.add(str(match.get("id")))
            elif tag.name:
                changes.append({"name": tag.name})  # Capsule reuses a same-named tag or creates one
            else:
                # [I] attaching an existing tag by id alone is not documented; Capsule's docs add
                # by name, so an unknown id without a name is refused here.
                ctx.invalid(
                    f"tags.{index}", f"tag id {tag.id!r} is not on this project; give its name"
                )
        for tag_id, attached in by_id.items():
            if tag_id not in keep:
                changes.append({"id": attached.get("id"), "_delete": True})
        if changes:
            ctx.body["tags"] = changes

    def write_custom_fields(self, value: dict[str, Any] | None, ctx: WriteContext) -> None:
        if not value:
            return  # update refuses null (NOT_NULLABLE); on create it sets nothing
        definitions = [d for d in ctx.fetched.get("field_definitions") or [] if isinstance(d, dict)]
        by_name = {str(d.get("name")): d for d in definitions}
        by_folded = {name.casefold(): d for name, d in by_name.items()}
        current = {
            str((f.get("definition") or {}).get("id")): f
            for f in ctx.current.get("fields") or []
            if isinstance(f, dict)
        }
        rows: list[dict[str, Any]] = []
        for name, field_value in value.items():
            definition = by_name.get(name) or by_folded.get(name.casefold())
            if definition is None:
                ctx.invalid(
                    f"custom_fields.{name}",
                    "no such Capsule project custom field",
                    accepted=sorted(by_name),
                )
            existing = current.get(str(definition.get("id")))
            if field_value is None:
                # `_delete`, not `value: null` (422 on BOOLEAN; live trace by soil-dev/capsulemcp).
                if existing is not None:
                    rows.append({"id": existing.get("id"), "_delete": True})
            elif existing is not None:
                rows.append({"id": existing.get("id"), "value": field_value})
            else:
                rows.append({"definition": {"id": definition.get("id")}, "value": field_value})
        if rows:
            ctx.body["fields"] = rows

    def merge_remote_data(self, value: dict[str, Any] | None, ctx: WriteContext) -> None:
        if not value:
            return
        merged = dict(value)
        kase = merged.get("kase")
        if isinstance(kase, dict) and "owner" in kase and "team" not in kase:
            # An owner sent without a team makes Capsule clear the team (live-verified by the
            # third-party soil-dev/capsulemcp wire traces): send the current team along.
            team = ctx.current.get("team")
            kase = dict(kase)
            kase["team"] = {"id": team["id"]} if isinstance(team, dict) else None
            merged["kase"] = kase
        ctx.remote_data = merged
