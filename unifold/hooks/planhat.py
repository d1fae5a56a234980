"""Planhat mapping hooks (hand-written)."""

from __future__ import annotations

from typing import Any

from unifold.extend import WriteContext
from unifold.generated.crm.planhat import PlanhatHooksBase


class PlanhatHooks(PlanhatHooksBase):
    def write_custom_fields(self, value: dict[str, Any] | None, ctx: WriteContext) -> None:
        if not value:
            return  # update refuses null (NOT_NULLABLE); on create it sets nothing
        # `custom` is keyed by the field's display name. Planhat does not document whether a PUT
        # merges it or replaces it, so on update the whole object is sent.
        current = (ctx.fetched.get("current") or {}).get("custom")
        merged = dict(current) if isinstance(current, dict) else {}
        merged.update(value)
        ctx.body["custom"] = merged
