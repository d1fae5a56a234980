"""Base classes for every generated model (the hand-written side of the generation gap)."""

from __future__ import annotations

import types
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


class UnifiedModel(BaseModel):
    """Base of the unified models that datamodel-code-generator writes from `openapi/crm.yaml`."""

    # Unknown keys are errors, nested ones included (`account: {id, foo}`): nothing is dropped
    # silently. Response models relax this (ResponseModel).
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class RequestModel(UnifiedModel):
    """A request body for one integration: unknown fields are errors, null is kept apart from
    omitted (`model_fields_set`), and fields the provider cannot clear refuse `null`."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    INTEGRATION: ClassVar[str] = ""
    OPERATION: ClassVar[str] = ""
    # field -> why the provider cannot clear it (shown in the error). Checked before type
    # validation, so a required field's null also gets the reason.
    NOT_NULLABLE: ClassVar[dict[str, str]] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _no_lax_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        """pydantic's lax mode would send bytes as text, True as 1.0 and 0 as 1970-01-01: a
        caller's mistake would reach the provider as something else. Refused instead."""
        if isinstance(value, bytes | bytearray):
            raise ValueError("bytes are not text; pass a str")
        if isinstance(value, bool | int | float) and info.field_name is not None:
            kinds = _kinds(cls, info.field_name)
            if isinstance(value, bool):
                if "number" in kinds and "bool" not in kinds:
                    raise ValueError(f"{value} is a boolean, not a number")
            elif "date" in kinds and "number" not in kinds:
                raise ValueError(f"{value!r} is a number, not a date (give 'YYYY-MM-DD')")
        return value

    def to_body(self) -> dict[str, Any]:
        """The fields the caller set, nulls included: what PATCH semantics needs."""
        return self.model_dump(mode="json", exclude_unset=True)


@cache
def _kinds(cls: type[BaseModel], name: str) -> frozenset[str]:
    """What a field's annotation accepts, coarsely: "number", "date", "bool", "text"."""
    field = cls.model_fields.get(name)
    if field is None:
        return frozenset()
    found: set[str] = set()
    stack: list[Any] = [field.annotation]
    while stack:
        tp = stack.pop()
        if get_origin(tp) in (Union, types.UnionType) or get_args(tp) and tp is not str:
            stack.extend(get_args(tp))
        if tp is bool:
            found.add("bool")
        elif isinstance(tp, type) and issubclass(tp, int | float | Decimal):
            found.add("number")
        elif isinstance(tp, type) and issubclass(tp, date | datetime):
            found.add("date")
        elif tp is str:
            found.add("text")
    return frozenset(found)


def reject_null(cls: type[RequestModel], value: Any, info: ValidationInfo) -> Any:
    if value is None and info.field_name in cls.NOT_NULLABLE:
        reason = cls.NOT_NULLABLE[info.field_name]
        field = cls.model_fields[info.field_name]
        hint = "give a value" if field.is_required() else "omit it to leave it unchanged"
        raise ValueError(
            f"{info.field_name} cannot be null on {cls.INTEGRATION} ({reason}); {hint}"
        )
    return value


class ResponseModel(UnifiedModel):
    """A record as one integration returns it: lenient, so unknown provider values and extra
    keys never break a read."""

    model_config = ConfigDict(extra="allow")

    INTEGRATION: ClassVar[str] = ""

    @property
    def warnings(self) -> list[str]:
        """What unifold dropped from the request (`on_unsupported="drop"`); empty otherwise."""
        # Kept in pydantic's private slot without declaring a PrivateAttr: declaring one makes
        # every validation initialise it, a measurable cost on reads (BENCHMARKS.md).
        return list((self.__pydantic_private__ or {}).get("warnings", ()))

    def _set_warnings(self, warnings: list[str]) -> None:
        object.__setattr__(self, "__pydantic_private__", {"warnings": list(warnings)})
