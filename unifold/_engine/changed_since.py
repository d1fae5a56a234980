"""`updated_after=` on `list`/`iter`: pushed down to the provider's own changed-since filter
where the matrix names one (`changed_since:`), and always checked on our side against the
record's `updated_at`, so the answer is exact whatever the provider's granularity.

A provider without a filter is read in full and filtered here (the cost: every page is fetched
and mapped); one whose records carry no change time at all cannot answer and says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from unifold import _errors as errors
from unifold._engine.connector import Connector
from unifold._matrix import CHANGE_TIME_FIELD, ChangeTimeFormat, Operation, Request

_FORMATS: Final[dict[ChangeTimeFormat, str]] = {
    "iso_z": "%Y-%m-%dT%H:%M:%SZ",
    "space_utc": "%Y-%m-%d %H:%M:%S",
}


def check(conn: Connector, value: Any, response_format: str) -> datetime | None:
    """The caller's `updated_after`, refused unless it is an aware datetime the integration can
    filter on."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise errors.InvalidParameterError(
            f"updated_after must be a timezone-aware datetime, not {type(value).__name__}",
            field="updated_after",
            integration=conn.name,
            accepted="datetime with tzinfo, e.g. datetime(2024, 1, 31, tzinfo=UTC)",
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise errors.InvalidParameterError(
            f"updated_after {value.isoformat()} is naive: give it a timezone "
            f"(e.g. .replace(tzinfo=UTC)) so it means one instant",
            field="updated_after",
            integration=conn.name,
            accepted="datetime with tzinfo",
        )
    spec = conn.resource.operations["list"]
    if CHANGE_TIME_FIELD not in conn.resource.record or conn.read_changed_at is None:
        raise errors.InvalidParameterError(
            f"{conn.display_name} projects carry no change time and its list has no "
            f"changed-since filter, so updated_after cannot be answered; read everything "
            f"(iter) or use the provider's webhooks",
            field="updated_after",
            integration=conn.name,
        )
    if spec.changed_since is None and response_format in ("raw", "stream"):
        raise errors.InvalidParameterError(
            f"{conn.display_name} has no changed-since filter, so unifold filters its records "
            f"itself; that needs response_format 'unified' or 'normalized', not "
            f"{response_format!r}",
            field="updated_after",
            integration=conn.name,
            accepted=["unified", "normalized"],
        )
    return value.astimezone(UTC)


def push_down(spec: Operation, since: datetime) -> tuple[dict[str, str], Request]:
    """The provider's filter parameters for `since` and the request that takes them. Rounded
    down to the second: a superset, made exact by `keep`."""
    changed = spec.changed_since
    if changed is None:
        return {}, spec.request
    params = {changed.param: since.strftime(_FORMATS[changed.format])}
    params.update(changed.extra)
    return params, spec.changed_since_request


def keep(mapped_updated_at: Any, since: datetime) -> bool:
    """Whether a record whose unified `updated_at` is this value changed after `since`."""
    if not isinstance(mapped_updated_at, str):
        return False
    try:
        stamp = datetime.fromisoformat(mapped_updated_at)
    except ValueError:
        return False
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp > since
