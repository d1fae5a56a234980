"""The per-call options of the resource methods, declared once.

Every resource method (the unified `uf.crm.projects` and each generated per-integration client,
sync and async) takes its options as `**options: Unpack[<Operation>Options]`, so mypy rejects an
unknown or misspelled keyword, and an option added here reaches every signature at once. The
runtime checks the same names (`check_option_names`) for callers without a type checker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal, TypedDict

import httpx

from unifold import _errors as errors

ResponseFormat = Literal["unified", "raw", "normalized", "stream"]
OnUnsupported = Literal["error", "drop"]


class RequestOptions(TypedDict, total=False):
    """Options every operation takes."""

    remote_query: Mapping[str, Any] | None
    """Passed to the provider's query string untransformed (Teamleader: merged into its body)."""
    timeout: float | httpx.Timeout | None
    """Seconds (or an `httpx.Timeout`) for each provider request of this call."""
    max_retries: int | None
    """How many times a failed provider request is tried again (the client's by default)."""
    max_wait: float | None
    """The longest wait before one retry; a provider asking for more fails at once with
    `ProviderRateLimitError.retry_after`."""


class ReadOptions(RequestOptions, total=False):
    """Options of the operations that return records."""

    ignore_remote_data: bool
    """Leave `remote_data` (the provider's raw record) out of the result."""
    exclude_fields: Iterable[str]
    """Unified field names (`owner.name` too) that read as None and stay out of dumps."""


class WriteOptions(ReadOptions, total=False):
    """Options of the operations that take a body."""

    on_unsupported: OnUnsupported
    """"error" (default) refuses fields the integration cannot write; "drop" drops them with a
    warning."""


class UpdateOptions(WriteOptions, total=False):
    """Options of `update`."""


class CreateOptions(WriteOptions, total=False):
    """Options of `create`."""

    idempotency_key: str | None
    """Makes a retried create safe: after an unclear failure, a create with the same key
    looks for the project the first one may have made (README, "Idempotent creates")."""


class GetOptions(ReadOptions, total=False):
    """Options of `get`."""


class ListOptions(ReadOptions, total=False):
    """Options of `list` (and `iter`, which pages with them)."""

    limit: int | None
    """Page size (capped at the provider's maximum)."""
    next_cursor: str | None
    """The `next_cursor` of the previous page."""
    updated_after: datetime | None
    """An aware datetime: keep only the records changed after it."""


class DeleteOptions(RequestOptions, total=False):
    """Options of `delete`."""


OPTIONS: dict[str, type[RequestOptions]] = {
    "update": UpdateOptions,
    "create": CreateOptions,
    "get": GetOptions,
    "list": ListOptions,
    "delete": DeleteOptions,
}


# A TypedDict's own and inherited keys, per operation.
_NAMES = {operation: frozenset(options.__annotations__) for operation, options in OPTIONS.items()}


def option_names(operation: str) -> frozenset[str]:
    return _NAMES[operation]


def check_option_names(resource: str, operation: str, options: Mapping[str, Any]) -> None:
    """An unknown keyword is a typed error (for callers without a type checker)."""
    accepted = option_names(operation)
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise errors.InvalidParameterError(
            f"{resource}.{operation}() got unknown option(s) {', '.join(unknown)}; it accepts "
            f"integrated_account_id, response_format, {', '.join(sorted(accepted))}",
            field=unknown[0],
            fields=unknown,
            accepted=["integrated_account_id", "response_format", *sorted(accepted)],
        )
