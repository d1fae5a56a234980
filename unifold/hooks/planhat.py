"""Planhat mapping hooks (hand-written; created once by the generator as a skeleton).

The generator never overwrites this file. Implement each hook; the matrix
`openapi/integrations/planhat.yaml` says where it is used.
"""

from __future__ import annotations

from typing import Any

from unifold._engine.context import WriteContext
from unifold.generated.crm.planhat import PlanhatHooksBase


class PlanhatHooks(PlanhatHooksBase):
    def write_custom_fields(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("write_custom_fields: projects.update.custom_fields")
