"""Pipeliner mapping hooks (hand-written; created once by the generator as a skeleton).

The generator never overwrites this file. Implement each hook; the matrix
`openapi/integrations/pipeliner.yaml` says where it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unifold.generated.crm.pipeliner import PipelinerHooksBase


class PipelinerHooks(PipelinerHooksBase):
    def read_contact(self, record: Mapping[str, Any]) -> Any:
        raise NotImplementedError("read_contact: projects.record.contact")
