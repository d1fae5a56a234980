"""Check a request body against one integration's generated model, before anything is sent.

Errors name the field, the integration and what would be accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from unifold import _errors as errors
from unifold._engine import inputs
from unifold._engine.connector import Connector
from unifold._models import RequestModel
from unifold._options import OnUnsupported

# Related records per field: each can cost a provider call (Teamleader adds them one by one).
MAX_REFERENCES = 100
# Sent to the provider as given: JSON values only.
FREE_FORM = ("remote_data", "custom_fields")


def _schema_fields(operation: str) -> frozenset[str]:
    from unifold.generated.crm import models

    unified = models.ProjectUpdate if operation == "update" else models.ProjectCreate
    return frozenset(unified.model_fields)


def validate_body(
    conn: Connector,
    operation: str,
    body: Mapping[str, Any] | BaseModel,
    on_unsupported: OnUnsupported,
) -> tuple[RequestModel, list[str]]:
    model_name = "ProjectUpdate" if operation == "update" else "ProjectCreate"
    model: type[RequestModel] = conn.model(model_name)  # type: ignore[assignment]
    if isinstance(body, BaseModel):
        # Even the integration's own model is validated again: it may have been built with
        # model_construct or changed after construction.
        data: dict[str, Any] = body.model_dump(exclude_unset=True)
    elif isinstance(body, Mapping):
        data = dict(body)
    else:
        raise errors.InvalidFieldValueError(
            f"the {operation} body must be a dict or a {model_name} model, "
            f"not {type(body).__name__}",
            integration=conn.name,
        )
    for key, value in data.items():
        if not isinstance(key, str):
            raise errors.InvalidFieldValueError(
                f"body keys must be field names (strings), not {type(key).__name__} "
                f"({conn.name} projects.{operation})",
                field="body",
                integration=conn.name,
            )
        inputs.check_value(value, key, conn.name, free_form=key in FREE_FORM)
    warnings: list[str] = []
    unknown = sorted(k for k in data if k not in model.model_fields)
    if unknown:
        if on_unsupported == "drop":
            for key in unknown:
                data.pop(key)
            warnings.append(
                f"dropped field(s) {', '.join(unknown)}: not supported by {conn.name} "
                f"for projects.{operation}"
            )
        else:
            supported = sorted(model.model_fields)
            schema = _schema_fields(operation)
            not_unified = [k for k in unknown if k not in schema]
            detail = (
                f" ({', '.join(not_unified)} {'is' if len(not_unified) == 1 else 'are'} "
                f"not a unified {model_name} field)"
                if not_unified
                else ""
            )
            raise errors.UnsupportedFieldError(
                f"{conn.name} does not support {', '.join(unknown)} on projects.{operation}"
                f"{detail}; supported fields: {', '.join(supported)}. "
                f"Pass on_unsupported='drop' to drop them with a warning.",
                field=unknown[0],
                fields=unknown,
                integration=conn.name,
                accepted=supported,
            )
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        raise _convert(conn, operation, model, exc) from None
    _check_references(conn, operation, validated)
    check = conn.operations[operation].check
    if check is not None:
        check(validated, conn.hooks)  # the matrix's cross-field rules, before any I/O
    return validated, warnings


def _check_references(conn: Connector, operation: str, data: RequestModel) -> None:
    """Ids of related records must look like the provider's ids, and arrays the provider caps
    must fit: found here, before a multi-call write could fail half-way."""
    pattern = conn.provider.ref_id_regex
    fields = conn.operations[operation].spec.fields
    for field in data.__pydantic_fields_set__:
        value = getattr(data, field)
        items = value if isinstance(value, list) else [value]
        spec = fields.get(field)
        limit = MAX_REFERENCES if spec is None or spec.max_items is None else spec.max_items
        if isinstance(value, list) and len(value) > limit:
            raise errors.InvalidFieldValueError(
                f"{field}: at most {limit} item(s), got {len(value)} "
                f"({conn.name} projects.{operation})",
                field=field,
                integration=conn.name,
                accepted=f"at most {limit}",
            )
        for index, item in enumerate(items):
            ident = getattr(item, "id", None) if isinstance(item, BaseModel) else None
            if ident is not None and not pattern.fullmatch(str(ident)):
                path = f"{field}.{index}.id" if isinstance(value, list) else f"{field}.id"
                raise errors.InvalidFieldValueError(
                    f"{path}: {ident!r} is not a {conn.display_name} id, expected to match "
                    f"{pattern.pattern} ({conn.name} projects.{operation})",
                    field=path,
                    integration=conn.name,
                    accepted=pattern.pattern,
                )


def _convert(
    conn: Connector, operation: str, model: type[RequestModel], exc: ValidationError
) -> errors.UnifoldValidationError:
    problems = exc.errors(include_url=False)
    missing = [str(p["loc"][0]) for p in problems if p["type"] == "missing" and len(p["loc"]) == 1]
    if missing:
        return errors.MissingRequiredFieldError(
            f"{conn.name} requires {', '.join(missing)} on projects.{operation}",
            field=missing[0],
            fields=missing,
            integration=conn.name,
            accepted=missing,
        )
    first = problems[0]
    field = _body_path(model, first["loc"])
    if first["type"] == "extra_forbidden":
        path = ".".join(str(p) for p in first["loc"])
        return errors.UnsupportedFieldError(
            f"{path} is not a field {conn.name} accepts on projects.{operation}",
            field=path,
            integration=conn.name,
        )
    top = str(first["loc"][0]) if first["loc"] else ""
    if first["type"] == "literal_error":
        spec = conn.operations[operation].spec.fields.get(top)
        allowed = sorted(spec.enum) if spec is not None and spec.enum is not None else None
        return errors.InvalidEnumValueError(
            f"{field}: {first['input']!r} is not accepted by {conn.name} on projects.{operation}; "
            f"accepted values: {', '.join(repr(v) for v in allowed or ())}",
            field=field,
            integration=conn.name,
            accepted=allowed,
        )
    message = first["msg"].removeprefix("Value error, ")
    return errors.InvalidFieldValueError(
        f"{field}: {message} ({conn.name} projects.{operation})",
        field=field,
        integration=conn.name,
    )


def _body_path(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """The error's location as a path in the caller's body (`tags.0.id`), without the union
    member names pydantic adds to it (`close_date.datetime`)."""
    from unifold._engine.formats import nested_model

    parts: list[str] = []
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            parts.append(str(part))
        elif current is not None and part in current.model_fields:
            parts.append(part)
            current = nested_model(current.model_fields[part].annotation)
        else:
            break
    return ".".join(parts)
