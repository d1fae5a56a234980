"""Shaping a mapped record for the caller: response formats and `exclude_fields`."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic import BaseModel

from unifold import _errors as errors


class NormalizedRecord(dict[str, Any]):
    """The `normalized` format: a plain dict of the unified fields this integration returned,
    nulls and `remote_data` dropped. `warnings` lists what unifold dropped from the request."""

    warnings: list[str]


@cache
def valid_exclusions(model: type[BaseModel]) -> list[str]:
    model.model_rebuild()  # resolve forward references before reading annotations
    names: list[str] = []
    for name, info in model.model_fields.items():
        names.append(name)
        nested = nested_model(info.annotation)
        if nested is not None:
            # A reference keeps its id (the unified spec requires it): exclude the whole
            # reference, or its name.
            names.extend(f"{name}.{sub}" for sub in nested.model_fields if sub != "id")
    return names


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as `OwnerRef | None` or `list[TagRef] | None`."""
    for arg in getattr(annotation, "__args__", ()) or (annotation,):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = nested_model(arg) if getattr(arg, "__args__", None) else None
        if inner is not None:
            return inner
    return None


def check_exclusions(exclude: Iterable[str], integration: str) -> None:
    """Names of the unified Project are valid everywhere (one exclude list serves every
    integration); a field an integration does not return is simply absent already."""
    from unifold.generated.crm.models import Project

    valid = valid_exclusions(Project)
    unknown = [name for name in exclude if name not in valid]
    if unknown:
        raise errors.InvalidParameterError(
            f"exclude_fields: unknown field(s) {', '.join(unknown)} for {integration}; "
            f"valid: {', '.join(valid)}",
            field="truto_exclude_fields",
            fields=unknown,
            integration=integration,
            accepted=valid,
        )


def _unset(model: BaseModel, name: str) -> None:
    object.__setattr__(model, name, None)
    model.__pydantic_fields_set__.discard(name)


def apply_exclusions(record: BaseModel, exclude: Iterable[str]) -> None:
    """Excluded fields read as None and are left out of `model_dump(exclude_unset=True)`."""
    for path in exclude:
        head, _, tail = path.partition(".")
        if head not in type(record).model_fields:
            continue  # not returned by this integration: nothing to exclude
        if not tail:
            _unset(record, head)
            continue
        value = getattr(record, head, None)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                _unset(item, tail)


def normalized(record: BaseModel, warnings: list[str]) -> NormalizedRecord:
    data = record.model_dump(mode="json", exclude_none=True, exclude_unset=True)
    data.pop("remote_data", None)
    out = NormalizedRecord(data)
    out.warnings = warnings
    return out
