"""Helpers the hand-written hooks share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from unifold._engine.context import WriteContext
from unifold._engine.types import RefDict


def ref(ident: Any, name: Any = None) -> RefDict | None:
    if ident is None or ident == "":
        return None
    return {"id": str(ident), "name": None if name is None else str(name)}


def ids(values: Iterable[Any] | None) -> list[str]:
    """Unique ids of the references given, in order."""
    seen: dict[str, None] = {}
    for value in values or ():
        seen[str(value.id)] = None
    return list(seen)


def int_id(ctx: WriteContext, field: str, value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        ctx.invalid(field, f"id {value!r} is not numeric", accepted="a numeric id")
