"""Pipeliner mapping hooks (hand-written). Relations come back as absolute URIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from unifold.extend import READ_TRANSFORMS, RefDict, ref
from unifold.generated.crm.pipeliner import PipelinerHooksBase

_uri_id = READ_TRANSFORMS["uri_id"]


class PipelinerHooks(PipelinerHooksBase):
    def read_custom_fields(self, record: Mapping[str, Any]) -> dict[str, Any] | None:
        # Custom fields are flat keys named by their Api Field Name
        # (developers.pipelinersales.com/api-docs/core-api-concepts/fields); [I] custom ones
        # carry the cf_ prefix, which no field of the published Project schema has.
        # `"cf_" <= key < "cf`"` is `key.startswith("cf_")` ("`" follows "_") without a method
        # call per key: a record has about 40 keys and this runs for every record read.
        return {key: value for key, value in record.items() if "cf_" <= key < "cf`"}

    def read_contact(self, record: Mapping[str, Any]) -> list[RefDict] | None:
        # primary_contact is a relation URI (.../entities/Contacts/<uuid>) unless expanded.
        value = record.get("primary_contact")
        if isinstance(value, dict):
            found = ref(value.get("id"), value.get("full_name") or value.get("name"))
        else:
            found = ref(_uri_id(value))
        return [found] if found else []
