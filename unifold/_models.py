"""Base classes for every generated model (the hand-written side of the generation gap)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo


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

    def to_body(self) -> dict[str, Any]:
        """The fields the caller set, nulls included: what PATCH semantics needs."""
        return self.model_dump(mode="json", exclude_unset=True)


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
