"""The declarative value conversions a matrix can name (`transform:` in a field spec)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel

from unifold._matrix import ReadTransform, WriteTransform


def _ref_id(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return getattr(value, "id", None)
    if isinstance(value, dict):
        return value.get("id")
    return value


def _as_utc(value: datetime | date | str) -> datetime:
    if isinstance(value, str):
        value = parse_provider_datetime(value) or datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _to_date(value: Any) -> str:
    # The calendar date the caller wrote, in their own offset: 2024-12-31T23:30-08:00 is the
    # 31st, not the 1st of January in UTC.
    if isinstance(value, str):
        parsed = parse_provider_datetime(value)
        if parsed is None:
            raise ValueError(f"not a date: {value!r}")
        return parsed.date().isoformat()
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not a date: {value!r}")


WRITE: dict[WriteTransform, Callable[[Any], Any]] = {
    "string": str,
    "integer": int,
    "number": float,
    "date": _to_date,
    "datetime_utc_z": lambda v: _as_utc(v).strftime("%Y-%m-%dT%H:%M:%SZ"),
    # Insightly bodies want 'yyyy-MM-dd HH:mm:ss' (UTC, no T/Z); probe: lukeswade/insightly-mcp.
    "datetime_space": lambda v: _as_utc(v).strftime("%Y-%m-%d %H:%M:%S"),
    "ref_id": lambda v: None if _ref_id(v) is None else str(_ref_id(v)),
    "ref_id_int": lambda v: None if _ref_id(v) is None else int(_ref_id(v)),
    "ref_object": lambda v: {"id": str(_ref_id(v))},
    "ref_object_int": lambda v: {"id": int(_ref_id(v))},
}


def parse_provider_datetime(text: str) -> datetime | None:
    """Every date or date-time shape the five providers send, or None.

    Capsule `2015-12-07T16:54:27Z`, Insightly `2014-10-05 16:53:35` (UTC), Pipeliner
    `2019-02-01 07:41:49.529970+00:00`, Planhat `2021-05-12T03:00:00.000Z`, plain `2015-12-09`.
    """
    if not text:
        return None
    candidate = text.strip()
    if candidate.endswith("Z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_D = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_T = r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d"
_ISO_Z = re.compile(f"{_D}T{_T}Z")
_ISO_MS_Z = re.compile(f"{_D}T{_T}\\.\\d{{3}}Z")
_DATE = re.compile(_D)
_SPACED = re.compile(f"{_D} {_T}")
_PIPELINER = re.compile(f"{_D} {_T}\\.\\d{{6}}\\+00:00")
# Each fast shape has its own length: 20, 24, 10, 19 and 32 characters.
_FAST_SHAPES = {20: _ISO_Z, 24: _ISO_MS_Z, 10: _DATE, 19: _SPACED, 32: _PIPELINER}


def _read_datetime(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        # Fast paths for the shapes providers send most (reads are the hot path), chosen by
        # length so one pattern is tried, not five; anything else, or anything that only looks
        # like them, goes through the parser.
        shape = _FAST_SHAPES.get(len(value))
        if shape is not None and shape.fullmatch(value):
            if shape is _ISO_Z:
                return value  # 2015-12-07T16:54:27Z, already canonical
            if shape is _ISO_MS_Z:
                # Planhat: milliseconds, kept only when not zero (as the parser does).
                return value[:19] + "Z" if value[20:23] == "000" else value
            if shape is _DATE:
                return value + "T00:00:00Z"  # a plain date
            if shape is _SPACED:
                return f"{value[:10]}T{value[11:]}Z"  # Insightly: UTC without a zone
            # Pipeliner: microseconds and a UTC offset; milliseconds kept only when not zero.
            millis = value[20:23]
            return f"{value[:10]}T{value[11:19]}{'' if millis == '000' else '.' + millis}Z"
    return _read_datetime_parsed(value)


def _read_datetime_parsed(value: Any) -> str | None:
    parsed = parse_provider_datetime(str(value))
    if parsed is None:
        return str(value)  # lenient: an unknown shape is passed through, not dropped
    utc = parsed.astimezone(UTC)
    if utc.microsecond // 1000:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _uri_id(value: Any) -> str | None:
    if not value:
        return None
    return str(value).rstrip("/").rsplit("/", 1)[-1]


READ: dict[ReadTransform, Callable[[Any], Any]] = {
    # Only a scalar is text: an object or list where an id belongs is no usable value.
    "string": lambda v: str(v) if isinstance(v, str | int | float) else None,
    "number": _read_number,
    "datetime": _read_datetime,
    "uri_id": _uri_id,
}
