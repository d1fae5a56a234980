"""Capsule mapping hooks (hand-written; created once by the generator as a skeleton).

The generator never overwrites this file. Implement each hook; the matrix
`openapi/integrations/capsule.yaml` says where it is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unifold._engine.context import WriteContext
from unifold.generated.crm.capsule import CapsuleHooksBase


class CapsuleHooks(CapsuleHooksBase):
    def merge_remote_data(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("merge_remote_data: projects.update.remote_data")

    def read_account(self, record: Mapping[str, Any]) -> Any:
        raise NotImplementedError("read_account: projects.record.account")

    def read_contact(self, record: Mapping[str, Any]) -> Any:
        raise NotImplementedError("read_contact: projects.record.contact")

    def read_opportunity(self, record: Mapping[str, Any]) -> Any:
        raise NotImplementedError("read_opportunity: projects.record.opportunity")

    def write_contact(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("write_contact: projects.create.contact, projects.update.contact")

    def write_custom_fields(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("write_custom_fields: projects.update.custom_fields")

    def write_opportunity(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("write_opportunity: projects.update.opportunity")

    def write_tags(self, value: Any, ctx: WriteContext) -> None:
        raise NotImplementedError("write_tags: projects.update.tags")
