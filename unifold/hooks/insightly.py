"""Insightly mapping hooks (hand-written; created once by the generator as a skeleton).

The generator never overwrites this file. Implement each hook; the matrix
`openapi/integrations/insightly.yaml` says where it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unifold._engine.context import WriteContext
from unifold.generated.crm.insightly import InsightlyHooksBase


class InsightlyHooks(InsightlyHooksBase):
    def read_opportunity(self, record: Mapping[str, Any]) -> Any:
        raise NotImplementedError("read_opportunity: projects.record.opportunity")

    def write_custom_fields(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError(
            "write_custom_fields: projects.create.custom_fields, projects.update.custom_fields"
        )
