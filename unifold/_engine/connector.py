"""One integration, ready to run: its generated module (typed models, the generated read and
write functions, its matrix as a typed `SPEC`) plus its hand-written hooks. Built once per
integration, on first use. Flows read the matrix through typed attributes (`conn.provider`,
`conn.resource`, `plan.spec`), never by string keys.

Everything here is pure (no I/O), so the sync and async clients share it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from unifold._engine.context import WriteContext
from unifold._engine.generated import (
    CheckFunction,
    FieldReadFunction,
    GeneratedIntegration,
    ReadFunction,
    WriteFunction,
)
from unifold._matrix import CHANGE_TIME_FIELD, Matrix, Operation, Provider, Resource


def get_path(record: Any, path: str) -> Any:
    """A dotted path into nested dicts and lists (`errors.0.message`); None when absent."""
    value = record
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit():
            index = int(part)
            value = value[index] if index < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[parts[-1]] = value


def deep_merge(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """`remote_data` wins: it is merged into the mapped body as is, objects key by key."""
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value


# The generated functions' shapes (hooks are the integration's own `<Name>HooksBase`).


@dataclass(frozen=True)
class OperationPlan:
    name: str
    spec: Operation
    needs: Mapping[str, tuple[str, ...]]  # field -> fetch names
    # The generated write function (`write_project_update`): the caller's fields into the wire
    # body, in matrix order; None for operations without a body.
    write: WriteFunction | None = None
    # The generated check function (`check_project_create`): the matrix's `checks` hooks on the
    # validated body, before anything is sent; None when the operation declares none.
    check: CheckFunction | None = None


@dataclass(frozen=True)
class Connector:
    name: str
    display_name: str
    module: GeneratedIntegration
    spec: Matrix
    hooks: object  # the integration's hand-written hooks class
    operations: Mapping[str, OperationPlan]
    # The generated read function (`read_project`): the whole record in one plain call.
    read_record: ReadFunction
    # The generated `read_project_updated_at`: a record's change time alone (a list filtered
    # on `updated_after` reads it before mapping the records it keeps); None when not mapped.
    read_changed_at: FieldReadFunction | None = None

    @property
    def provider(self) -> Provider:
        return self.spec.provider

    @property
    def resource(self) -> Resource:
        return self.spec.resources["projects"]

    def model(self, name: str) -> type[BaseModel]:
        return getattr(self.module, name)  # type: ignore[no-any-return]

    def read(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A provider record as the unified dict (without `remote_data`)."""
        return self.read_record(record, self.hooks)

    def write(self, operation: str, data: BaseModel, ctx: WriteContext) -> None:
        """Map the fields the caller set (omitted stay omitted) into `ctx`."""
        plan = self.operations[operation]
        ctx.given = {name: getattr(data, name) for name in data.__pydantic_fields_set__}
        if plan.write is not None:
            plan.write(data, ctx, self.hooks)

    def needs(self, operation: str, fields: set[str]) -> list[str]:
        plan = self.operations[operation]
        names: dict[str, None] = {}
        for field in fields:
            for need in plan.needs.get(field, ()):
                names[need] = None
        return sorted(names)


def _check_implemented(integration: str, hooks_module: str, hooks: Any, spec: Matrix) -> None:
    """A hook still marked as a generated skeleton fails here, before any request."""
    todo = sorted(
        name
        for name in spec.hook_names()
        if getattr(getattr(hooks, name, None), "__unifold_not_implemented__", False)
    )
    if todo:
        from unifold._errors import HookNotImplementedError

        raise HookNotImplementedError(
            f"{integration}: hook(s) {', '.join(todo)} in {hooks_module} are still generated "
            f"skeletons; implement them and remove their @not_implemented (nothing was sent)"
        )


def _check_generated(
    module: str,
    spec: Matrix,
    operations: Mapping[str, OperationPlan],
    read_changed_at: FieldReadFunction | None,
) -> None:
    """The generated tables must match the matrix: a stale module without a write or check
    function would silently send no body or skip a rule, so that fails here, before any
    request (mypy checks each function's type against `GeneratedIntegration`)."""
    missing = [
        f"{kind}_project_{name}"
        for name, plan in operations.items()
        for kind, wanted, found in (
            ("write", bool(plan.spec.fields), plan.write),
            ("check", bool(plan.spec.checks), plan.check),
        )
        if wanted != (found is not None)
    ]
    if (CHANGE_TIME_FIELD in spec.resources["projects"].record) != (read_changed_at is not None):
        missing.append(f"read_project_{CHANGE_TIME_FIELD}")
    if missing:
        raise TypeError(
            f"{module} does not match its matrix ({', '.join(missing)}); run make generate"
        )


@cache
def load_connector(integration: str) -> Connector:
    from unifold.generated.crm.registry import INTEGRATIONS, load

    info = INTEGRATIONS[integration]
    module = load(integration)
    spec = module.SPEC
    hooks_module = importlib.import_module(info.hooks_module)
    hooks = getattr(hooks_module, info.hooks_class)()
    _check_implemented(integration, info.hooks_module, hooks, spec)
    operations = {
        op_name: OperationPlan(
            name=op_name,
            spec=op,
            write=module.WRITERS.get(op_name),
            check=module.CHECKS.get(op_name),
            needs={field: tuple(w.needs) for field, w in op.fields.items()},
        )
        for op_name, op in spec.resources["projects"].operations.items()
    }
    read_changed_at = getattr(module, f"read_project_{CHANGE_TIME_FIELD}", None)
    _check_generated(info.module, spec, operations, read_changed_at)
    return Connector(
        name=integration,
        display_name=info.display_name,
        module=module,
        spec=spec,
        hooks=hooks,
        operations=operations,
        read_record=module.read_project,
        read_changed_at=read_changed_at,
    )
