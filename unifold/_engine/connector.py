"""One integration, ready to run: its generated module (typed models, the generated read and
write functions, the matrix) plus its hand-written hooks. Built once per integration, on first
use. The per-field readers compiled here serve single-field reads (`updated_after` filtering);
whole records go through the generated `read_project`.

Everything here is pure (no I/O), so the sync and async clients share it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from unifold._engine import transforms
from unifold._engine.context import WriteContext
from unifold._matrix import Matrix

Reader = Callable[[Mapping[str, Any]], Any]


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


def _getter(path: str) -> Reader:
    parts = path.split(".")
    if len(parts) == 1:
        key = parts[0]
        return lambda record: record.get(key)
    if len(parts) == 2 and not parts[1].isdigit():
        outer, inner = parts

        def get_nested(record: Mapping[str, Any]) -> Any:
            child = record.get(outer)
            return child.get(inner) if isinstance(child, Mapping) else None

        return get_nested
    return lambda record: get_path(record, path)


def _compile_read(spec: Mapping[str, Any], hooks: Any) -> Reader:
    if spec.get("hook"):
        return getattr(hooks, spec["hook"])  # type: ignore[no-any-return]
    if spec.get("each"):
        items = _getter(spec["each"])
        item_ref = _compile_ref(spec["ref"], spec.get("ref_transform"))

        def read_each(record: Mapping[str, Any]) -> Any:
            values = items(record)
            if not isinstance(values, list):
                return None
            return [ref for ref in (item_ref(v) for v in values if isinstance(v, Mapping)) if ref]

        return read_each
    if spec.get("ref"):
        return _compile_ref(spec["ref"], spec.get("ref_transform"))
    getter = _getter(spec["path"])
    convert = transforms.READ[spec["transform"]] if spec.get("transform") else None
    enum = spec.get("enum")
    if enum is not None:
        # Unknown provider values pass through unchanged: reads are lenient.
        return lambda record: None if (v := getter(record)) is None else enum.get(str(v), str(v))
    if convert is not None:
        return lambda record: convert(getter(record))
    return getter


def _compile_ref(paths: Mapping[str, str], id_transform: str | None) -> Reader:
    get_id = _getter(paths["id"])
    get_name = _getter(paths["name"]) if paths.get("name") else None
    convert = transforms.READ[id_transform] if id_transform else transforms.READ["string"]

    def read_ref(record: Mapping[str, Any]) -> dict[str, Any] | None:
        ident = get_id(record)
        if ident is None or ident == "":
            return None
        return {"id": convert(ident), "name": get_name(record) if get_name else None}

    return read_ref


@dataclass(frozen=True)
class OperationPlan:
    name: str
    spec: Mapping[str, Any]
    needs: Mapping[str, tuple[str, ...]]  # field -> fetch names
    # The generated write function (`write_project_update`): the caller's fields into the wire
    # body, in matrix order; None for operations without a body.
    write: Callable[[Any, WriteContext, Any], None] | None = None


@dataclass(frozen=True)
class Connector:
    name: str
    display_name: str
    module: ModuleType
    matrix: Mapping[str, Any]
    hooks: Any
    readers: tuple[tuple[str, Reader], ...]  # per field (a filter reads one field alone)
    operations: Mapping[str, OperationPlan]
    # The generated read function (`read_project`): the whole record in one plain call.
    read_record: Callable[[Mapping[str, Any], Any], dict[str, Any]]

    @property
    def provider(self) -> Mapping[str, Any]:
        return self.matrix["provider"]  # type: ignore[no-any-return]

    @property
    def resource(self) -> Mapping[str, Any]:
        return self.matrix["resources"]["projects"]  # type: ignore[no-any-return]

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


def _hook_names(spec: Matrix) -> set[str]:
    names: set[str] = set()
    for resource in spec.resources.values():
        names.update(f.hook for f in resource.record.values() if f.hook)
        for op in resource.operations.values():
            names.update(f.hook for f in op.fields.values() if f.hook)
    return names


def _check_implemented(integration: str, hooks_module: str, hooks: Any, spec: Matrix) -> None:
    """A hook still marked as a generated skeleton fails here, before any request."""
    todo = sorted(
        name
        for name in _hook_names(spec)
        if getattr(getattr(hooks, name, None), "__unifold_not_implemented__", False)
    )
    if todo:
        from unifold._errors import HookNotImplementedError

        raise HookNotImplementedError(
            f"{integration}: hook(s) {', '.join(todo)} in {hooks_module} are still generated "
            f"skeletons; implement them and remove their @not_implemented (nothing was sent)"
        )


@cache
def load_connector(integration: str) -> Connector:
    from unifold.generated.crm.registry import INTEGRATIONS

    info = INTEGRATIONS[integration]
    module = importlib.import_module(info.module)
    hooks_module = importlib.import_module(info.hooks_module)
    hooks = getattr(hooks_module, info.hooks_class)()
    _check_implemented(integration, info.hooks_module, hooks, module.SPEC)
    matrix = module.MATRIX
    resource = matrix["resources"]["projects"]
    readers = tuple(
        (field, _compile_read(spec, hooks)) for field, spec in resource["record"].items()
    )
    operations = {}
    for op_name, op in resource["operations"].items():
        fields = op.get("fields") or {}
        operations[op_name] = OperationPlan(
            name=op_name,
            spec=op,
            write=getattr(module, f"write_project_{op_name}", None),
            needs={f: tuple(fields[f].get("needs") or ()) for f in fields},
        )
    return Connector(
        name=integration,
        display_name=info.display_name,
        module=module,
        matrix=matrix,
        hooks=hooks,
        readers=readers,
        operations=operations,
        read_record=module.read_project,
    )
