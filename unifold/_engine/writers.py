"""What the generated write functions (`unifold.generated.crm.<integration>.write_project_update`
and `..._create`) call: one `put` per mapped field, in matrix order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from unifold._engine.connector import set_path
from unifold._engine.context import WriteContext
from unifold._engine.transforms import WRITE
from unifold._matrix import WriteTransform

__all__ = ["TRANSFORMS", "put", "merge_remote_data"]

# The write transforms by the matrix's name (`transform: date`).
TRANSFORMS: Mapping[WriteTransform, Callable[[Any], Any]] = WRITE


def put(
    ctx: WriteContext,
    field: str,
    value: Any,
    path: str,
    enum: Mapping[str, Any] | None = None,
    transform: WriteTransform | None = None,
) -> None:
    """One unified value at its wire path: `None` clears, enums map, transforms convert (a
    value they cannot convert is a typed error naming the field), nested models are dumped."""
    if value is None:
        set_path(ctx.body, path, None)
        return
    if enum is not None:
        value = enum[value]
    if transform is not None:
        try:
            value = TRANSFORMS[transform](value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: year 1 at +01:00
            ctx.invalid(field, f"{value!r} cannot be sent as {transform}")
    elif isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True)
    set_path(ctx.body, path, value)


def merge_remote_data(value: Mapping[str, Any] | None, ctx: WriteContext) -> None:
    """`remote_data`: deep-merged into the wire body as is, after every mapped field."""
    if value:
        ctx.remote_data = dict(value)
