"""Insightly mapping hooks (hand-written). Flat UPPER_CASE bodies; PROJECT_ID in the body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unifold.extend import RefDict, WriteContext, ref
from unifold.generated.crm.insightly import InsightlyHooksBase


class InsightlyHooks(InsightlyHooksBase):
    def read_custom_fields(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        # CUSTOMFIELDS [{FIELD_NAME, FIELD_VALUE}]; left out with brief=true, then None.
        fields = record.get("CUSTOMFIELDS")
        if not isinstance(fields, list):
            return None
        return {
            str(f["FIELD_NAME"]): f.get("FIELD_VALUE")
            for f in fields
            if isinstance(f, dict) and f.get("FIELD_NAME")
        }

    def read_opportunity(self, record: Mapping[str, Any]) -> list[RefDict] | None:
        # OPPORTUNITY_ID: the opportunity the project was converted from (read-only via PUT).
        found = ref(record.get("OPPORTUNITY_ID"))
        return [found] if found else []

    def write_custom_fields(self, value: dict[str, Any] | None, ctx: WriteContext) -> None:
        if not value:
            return  # update refuses null (NOT_NULLABLE); on create it sets nothing
        # Whether CUSTOMFIELDS in a PUT replaces or merges is undocumented, so the
        # whole list is sent: current values merged with the caller's, and a cleared field as
        # FIELD_VALUE null (v3.1 clears with null), which works under either rule.
        current = ctx.fetched.get("current") or {}
        merged: dict[str, Any] = {
            str(f.get("FIELD_NAME")): f.get("FIELD_VALUE")
            for f in current.get("CUSTOMFIELDS") or []
            if isinstance(f, dict) and f.get("FIELD_NAME")
        }
        merged.update(value)
        ctx.body["CUSTOMFIELDS"] = [
            {"FIELD_NAME": name, "FIELD_VALUE": field_value} for name, field_value in merged.items()
        ]
