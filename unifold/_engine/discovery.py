"""Field discovery (`projects.fields()`): the unified fields an integration supports per
operation (the generated support data) plus the account's own custom fields, read live from
the provider as it describes them and kept for a short time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from unifold import _errors as errors
from unifold._accounts import IntegratedAccount
from unifold._engine.connector import Connector, get_path
from unifold._engine.flows import read_fetch
from unifold._engine.http import Flow
from unifold._matrix import CustomFieldDefinitions

CACHE_TTL_SECONDS = 60.0


class CustomFieldDefinition(BaseModel):
    """One custom field of the account, as the provider describes it."""

    model_config = ConfigDict(frozen=True)

    name: str  # the key `custom_fields` takes (on writes and reads)
    type: str | None = None  # the provider's own type name
    label: str | None = None
    id: str | None = None
    options: list[str] = []
    required: bool | None = None  # None: the provider does not say
    remote_data: dict[str, Any] = {}


class ProjectFields(BaseModel):
    """`projects.fields()`: what an integration supports and what this account adds."""

    model_config = ConfigDict(frozen=True)

    integration: str
    # Per operation: {"request": {field: {required, nullable, enum, max_items}}, "response": [...]}
    operations: dict[str, Any]
    custom_fields: list[CustomFieldDefinition]
    fetched_at: datetime  # when the custom fields were read from the provider


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, Mapping | list) else str(value)


def _definition(
    spec: CustomFieldDefinitions, raw: Mapping[str, Any]
) -> CustomFieldDefinition | None:
    name = _text(get_path(raw, spec.name))
    if not name:
        return None
    options: list[str] = []
    choices = get_path(raw, spec.options) if spec.options else None
    if isinstance(choices, list):
        inner = spec.option_value
        for choice in choices:
            value = get_path(choice, inner) if inner and isinstance(choice, Mapping) else choice
            if (text := _text(value)) is not None:
                options.append(text)
    required = get_path(raw, spec.required) if spec.required else None
    return CustomFieldDefinition(
        name=name,
        type=_text(get_path(raw, spec.type)),
        label=_text(get_path(raw, spec.label)) if spec.label else None,
        id=_text(get_path(raw, spec.id)) if spec.id else None,
        options=options,
        required=required if isinstance(required, bool) else None,
        remote_data=dict(raw),
    )


def _wanted(spec: CustomFieldDefinitions, raw: Mapping[str, Any], name: str) -> bool:
    prefix = spec.name_prefix
    if prefix and not name.startswith(prefix):
        return False
    return all(get_path(raw, path) == value for path, value in spec.keep.items())


def definitions_flow(conn: Connector) -> Flow:
    """Read the account's custom field definitions (every page), as `CustomFieldDefinition`s."""
    spec = conn.resource.custom_field_definitions
    if spec is None:
        return []
    rows = yield from read_fetch(conn, spec.fetch, None)
    if not isinstance(rows, list):
        raise errors.ProviderError(
            f"{conn.name} answered its custom field definitions without a list",
            status_code=502,
            integration=conn.name,
            raw_response=rows,
        )
    found: list[CustomFieldDefinition] = []
    for raw in rows:
        if isinstance(raw, Mapping) and (definition := _definition(spec, raw)) is not None:
            if _wanted(spec, raw, definition.name):
                found.append(definition)
    return found


def _version(account: IntegratedAccount) -> tuple[Any, ...]:
    # Every save of an account (an update here or in another client or process, an OAuth
    # refresh) sets updated_at; params and base URL say which provider account it reaches.
    return (account.updated_at, account.base_url, tuple(sorted(account.params.items())))


class FieldsCache:
    """`fields()` results per account for `ttl` seconds (custom fields change rarely, and a
    mapping UI asks often). An entry serves only the very version of the account it was read
    with: one saved since (by anyone sharing the store) reads the fields again."""

    def __init__(self, ttl: float = CACHE_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, tuple[Any, ...], ProjectFields]] = {}
        self._lock = threading.Lock()

    def get(self, account: IntegratedAccount) -> ProjectFields | None:
        with self._lock:
            entry = self._entries.get(account.id)
            if entry is None:
                return None
            stored_at, version, fields = entry
            if time.monotonic() - stored_at > self.ttl or version != _version(account):
                del self._entries[account.id]
                return None
            return fields

    def put(
        self, account: IntegratedAccount, conn: Connector, found: list[CustomFieldDefinition]
    ) -> ProjectFields:
        result = ProjectFields(
            integration=conn.name,
            operations=conn.spec.support()["projects"],
            custom_fields=found,
            fetched_at=datetime.now(UTC),
        )
        with self._lock:
            self._entries[account.id] = (time.monotonic(), _version(account), result)
        return result

    def forget(self, account_id: str) -> None:
        with self._lock:
            self._entries.pop(account_id, None)
