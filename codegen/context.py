"""The typed context handed to the templates: everything is decided here, templates only print.

Every collection is sorted or kept in input order deliberately, so the output is deterministic.
"""

from __future__ import annotations

import pprint
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from codegen.inputs import Inputs, resolve, resource_schema_names
from unifold._matrix import (
    CHANGE_TIME_FIELD,
    OPERATIONS,
    REQUEST_OPERATIONS,
    Matrix,
    WriteField,
)


@dataclass(frozen=True)
class FieldCtx:
    name: str
    annotation: str
    required: bool
    description: str


@dataclass(frozen=True)
class ModelCtx:
    class_name: str
    operation: str  # create / update / record
    description: str
    fields: tuple[FieldCtx, ...]
    not_nullable: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ParamsCtx:
    """A `TypedDict` of the request body: what mypy checks a dict body against."""

    class_name: str
    description: str
    fields: tuple[FieldCtx, ...]


@dataclass(frozen=True)
class ResourceCtx:
    """One resource's typed client: its classes, record type, bodies and operations."""

    name: str  # projects
    class_name: str  # Projects
    record: str  # Project
    bodies: dict[str, str]  # operation -> body annotation
    operations: tuple[str, ...]


@dataclass(frozen=True)
class ReadFnCtx:
    """The generated read function of one resource: provider record -> unified fields."""

    function: str  # read_project
    record: str  # Project
    fields: tuple[tuple[str, str], ...]  # (unified field, Python expression over `record`)
    items: tuple[tuple[str, str], ...]  # (helper name, expression over `item`) for `each`
    enums: tuple[tuple[str, str], ...]  # (constant name, dict literal)
    transforms: tuple[str, ...]  # read transform names used
    # (function, unified field, expression): fields a flow reads alone (`read_project_updated_at`)
    alone: tuple[tuple[str, str, str], ...]


def _get(path: str, var: str) -> str:
    parts = path.split(".")
    if len(parts) == 1:
        return f"{var}.get({path!r})"
    if len(parts) == 2 and not parts[1].isdigit():
        return f"get2({var}, {parts[0]!r}, {parts[1]!r})"
    return f"get_path({var}, {path!r})"


def _ref_expr(paths: dict[str, str], transform: str | None, var: str, used: set[str]) -> str:
    convert = transform or "string"
    used.add(convert)
    function = f"_READ_{convert.upper()}"
    id_parts = paths["id"].split(".")
    name_parts = paths["name"].split(".") if paths.get("name") else None
    if len(id_parts) == 2 and (name_parts is None or name_parts[:-1] == id_parts[:1]):
        # Both in one provider object (`owner: {id, name}`): look it up once.
        name_key = repr(name_parts[1]) if name_parts and len(name_parts) == 2 else "None"
        if name_parts is None or len(name_parts) == 2:
            child = _get(id_parts[0], var)
            return f"ref_in({child}, {id_parts[1]!r}, {name_key}, {function})"
    name = _get(paths["name"], var) if paths.get("name") else "None"
    return f"ref({_get(paths['id'], var)}, {name}, {function})"


def _read_fn(matrix: Matrix, resource: str) -> ReadFnCtx:
    names = resource_schema_names(resource)
    used: set[str] = set()
    fields: list[tuple[str, str]] = []
    items: list[tuple[str, str]] = []
    enums: list[tuple[str, str]] = []
    for field, spec in matrix.resources[resource].record.items():
        if spec.hook:
            expr = f"hooks.{spec.hook}(record)"
        elif spec.each is not None:
            assert spec.ref is not None
            helper = f"_{field}_item"
            items.append((helper, _ref_expr(spec.ref, spec.ref_transform, "item", used)))
            expr = f"refs({_get(spec.each, 'record')}, {helper})"
        elif spec.ref is not None:
            expr = _ref_expr(spec.ref, spec.ref_transform, "record", used)
        else:
            assert spec.path is not None
            expr = _get(spec.path, "record")
            if spec.enum is not None:
                constant = f"_{field.upper()}_VALUES"
                enums.append((constant, repr(dict(spec.enum))))
                expr = f"enum_value({expr}, {constant})"
            elif spec.transform is not None:
                used.add(spec.transform)
                expr = f"_READ_{spec.transform.upper()}({expr})"
        fields.append((field, expr))
    function = f"read_{names['record'].lower()}"
    return ReadFnCtx(
        function=function,
        record=names["record"],
        fields=tuple(fields),
        items=tuple(items),
        enums=tuple(enums),
        transforms=tuple(sorted(used)),
        alone=tuple(
            (f"{function}_{field}", field, expr)
            for field, expr in fields
            if field == CHANGE_TIME_FIELD
        ),
    )


@dataclass(frozen=True)
class WriteFnCtx:
    """The generated write function of one request operation: the caller's body -> wire body."""

    function: str  # write_project_update
    model: str  # ProjectUpdate
    statements: tuple[tuple[str, str], ...]  # (unified field, statement writing it)
    enums: tuple[tuple[str, str], ...]  # (constant name, dict literal)
    operation: str  # update
    check_function: str  # check_project_update (emitted only when there are checks)
    checks: tuple[str, ...]  # the operation's check hooks, in matrix order


def _write_fn(matrix: Matrix, resource: str, op_name: str) -> WriteFnCtx:
    names = resource_schema_names(resource)
    fields = matrix.resources[resource].operations[op_name].fields
    # remote_data is merged last, after every mapped field; the rest in matrix order.
    order = sorted(fields, key=lambda f: f == "remote_data")
    statements: list[tuple[str, str]] = []
    enums: list[tuple[str, str]] = []
    for field in order:
        spec = fields[field]
        value = f"data.{field}"
        if spec.hook:
            statement = f"hooks.{spec.hook}({value}, ctx)"
        elif spec.merge:
            statement = f"merge_remote_data({value}, ctx)"
        else:
            args = [f'"{field}"', value, repr(spec.to)]
            if spec.enum is not None:
                constant = f"_{op_name.upper()}_{field.upper()}_TO_WIRE"
                enums.append((constant, repr(dict(spec.enum))))
                args.append(f"enum={constant}")
            if spec.transform is not None:
                args.append(f"transform={spec.transform!r}")
            statement = f"put(ctx, {', '.join(args)})"
        statements.append((field, statement))
    record = names["record"].lower()
    return WriteFnCtx(
        function=f"write_{record}_{op_name}",
        model=names[op_name],
        statements=tuple(statements),
        enums=tuple(enums),
        operation=op_name,
        check_function=f"check_{record}_{op_name}",
        checks=tuple(matrix.resources[resource].operations[op_name].checks),
    )


@dataclass(frozen=True)
class HookCtx:
    name: str
    kind: str  # read / write / check
    value_annotation: str  # write: the unified value; read: the return type; check: the body
    used_by: tuple[str, ...]
    needs: tuple[str, ...]


@dataclass(frozen=True)
class IntegrationCtx:
    name: str
    display_name: str
    hooks_class: str
    inputs: tuple[str, ...]
    models: tuple[ModelCtx, ...]
    model_imports: tuple[str, ...]
    param_imports: tuple[str, ...]
    params: tuple[ParamsCtx, ...]
    clients: tuple[ResourceCtx, ...]
    readers: tuple[ReadFnCtx, ...]
    writers: tuple[WriteFnCtx, ...]
    hooks: tuple[HookCtx, ...]
    spec_expression: str  # `Matrix(...)`: typed constructor calls, only non-default values
    spec_classes: tuple[str, ...]  # the `unifold._matrix` classes it calls
    resources: tuple[str, ...]
    operations: tuple[str, ...]


class SpecExpression:
    """A matrix as Python constructor calls (`Matrix(provider=Provider(...), ...)`): keyword
    arguments in the schema's field order, dict entries in the matrix's order (writers run in
    it), and only values that differ from the field's default (the defaults live once, in
    `unifold._matrix`). mypy then checks every value against the schema."""

    def __init__(self, matrix: Matrix) -> None:
        self.classes: set[str] = set()
        self.text = self._value(matrix)

    def _value(self, value: Any) -> str:
        if isinstance(value, BaseModel):
            return self._model(value)
        if isinstance(value, dict):
            items = ", ".join(f"{self._value(k)}: {self._value(v)}" for k, v in value.items())
            return "{" + items + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self._value(v) for v in value) + "]"
        if isinstance(value, str | int | float | bool) or value is None:
            # pformat wraps a long string into parenthesized pieces (a docs URL, a note).
            return pprint.pformat(value, width=88)
        raise TypeError(f"no Python literal for {type(value).__name__} in a matrix")

    def _model(self, model: BaseModel) -> str:
        cls = type(model)
        self.classes.add(cls.__name__)
        args = []
        for name, field in cls.model_fields.items():
            value = getattr(model, name)
            if not field.is_required() and value == field.get_default(call_default_factory=True):
                continue
            args.append(f"{name}={self._value(value)}")
        return f"{cls.__name__}({', '.join(args)})"


class _Types:
    """Python annotations for unified schemas, collecting the model names they import."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas
        self.imports: set[str] = set()
        self.param_imports: set[str] = set()

    def _ref_name(self, schema: dict[str, Any]) -> str | None:
        if "$ref" in schema:
            name: str = schema["$ref"].rsplit("/", 1)[-1]
            target = self.schemas[name]
            if target.get("type") == "object" or "allOf" in target or "properties" in target:
                return name
        return None

    def request(
        self, schema: dict[str, Any], enum: list[str] | None, as_param: bool = False
    ) -> str:
        """A request field's annotation: in the model, or (`as_param`) in the `TypedDict` of a
        dict body, where a reference may be the model or its dict form and a date-time an ISO
        string too (pydantic parses them)."""
        ref = self._ref_name(schema)
        if ref:
            self.imports.add(ref)
            if not as_param:
                return ref
            self.param_imports.add(f"{ref}Param")
            return f"{ref} | {ref}Param"
        resolved = resolve(self.schemas, schema)
        values = enum if enum is not None else resolved.get("enum")
        if values:
            return "Literal[" + ", ".join(repr(v) for v in values) + "]"
        kind = resolved.get("type")
        if kind == "array":
            return f"list[{self.request(resolved['items'], None, as_param)}]"
        if kind == "string" and resolved.get("format") == "date-time":
            return "str | datetime | date" if as_param else "AwareDatetime | date"
        return self._scalar(resolved)

    def param(self, schema: dict[str, Any], enum: list[str] | None) -> str:
        return self.request(schema, enum, as_param=True)

    def response(self, schema: dict[str, Any]) -> str:
        ref = self._ref_name(schema)
        if ref:
            self.imports.add(ref)
            return ref
        resolved = resolve(self.schemas, schema)
        kind = resolved.get("type")
        if kind == "array":
            return f"list[{self.response(resolved['items'])}]"
        # Lenient reads: enums and date-times stay strings (ISO 8601 for dates).
        return self._scalar(resolved)

    @staticmethod
    def _scalar(resolved: dict[str, Any]) -> str:
        kind = resolved.get("type")
        if kind == "object":
            return "dict[str, Any]"
        return {"string": "str", "number": "float", "integer": "int", "boolean": "bool"}.get(
            str(kind), "Any"
        )


def _description(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    text = schema.get("description") or resolve(schemas, schema).get("description") or ""
    return " ".join(str(text).split())


def _request_model(
    matrix: Matrix, resource: str, op_name: str, schemas: dict[str, Any], types: _Types
) -> ModelCtx:
    names = resource_schema_names(resource)
    body_schema = resolve(schemas, schemas[names[op_name]])
    props = body_schema["properties"]
    op = matrix.resources[resource].operations[op_name]
    fields = []
    not_nullable = []
    for field in props:  # the spec's order, as in Truto's docs
        spec: WriteField | None = op.fields.get(field)
        if spec is None:
            continue
        enum = list(spec.enum) if spec.enum is not None else None
        annotation = types.request(props[field], enum)
        if not spec.required:
            annotation = f"{annotation} | None"
        fields.append(
            FieldCtx(field, annotation, spec.required, _description(props[field], schemas))
        )
        if not spec.nullable:
            not_nullable.append((field, spec.not_nullable_reason or ""))
    return ModelCtx(
        class_name=names[op_name],
        operation=op_name,
        description=f"{matrix.display_name}: the body of {op_name} {resource}.",
        fields=tuple(fields),
        not_nullable=tuple(not_nullable),
    )


def _params(
    matrix: Matrix, resource: str, op_name: str, schemas: dict[str, Any], types: _Types
) -> ParamsCtx:
    names = resource_schema_names(resource)
    props = resolve(schemas, schemas[names[op_name]])["properties"]
    op = matrix.resources[resource].operations[op_name]
    fields = []
    for field in props:
        spec: WriteField | None = op.fields.get(field)
        if spec is None:
            continue
        enum = list(spec.enum) if spec.enum is not None else None
        annotation = types.param(props[field], enum)
        if spec.nullable and not spec.required:
            annotation = f"{annotation} | None"
        if spec.required:
            annotation = f"Required[{annotation}]"
        fields.append(
            FieldCtx(field, annotation, spec.required, _description(props[field], schemas))
        )
    return ParamsCtx(
        class_name=f"{names[op_name]}Params",
        description=f"A dict body of {op_name} {resource} for {matrix.display_name}: exactly "
        f"the fields it supports (mypy rejects others).",
        fields=tuple(fields),
    )


def _client(matrix: Matrix, resource: str) -> ResourceCtx:
    names = resource_schema_names(resource)
    ops = matrix.resources[resource].operations
    return ResourceCtx(
        name=resource,
        class_name=resource.capitalize(),
        record=names["record"],
        bodies={op: f"{names[op]} | {names[op]}Params" for op in REQUEST_OPERATIONS if op in ops},
        operations=tuple(op for op in OPERATIONS if op in ops),
    )


def _record_model(
    matrix: Matrix, resource: str, schemas: dict[str, Any], types: _Types
) -> ModelCtx:
    names = resource_schema_names(resource)
    props = resolve(schemas, schemas[names["record"]])["properties"]
    mapped = matrix.resources[resource].record
    fields = []
    for field in props:
        if field == "id":
            fields.append(FieldCtx("id", "str", True, _description(props[field], schemas)))
        elif field in mapped or field == "remote_data":
            annotation = types.response(props[field]) + " | None"
            fields.append(FieldCtx(field, annotation, False, _description(props[field], schemas)))
    return ModelCtx(
        class_name=names["record"],
        operation="record",
        description=f"A {resource[:-1]} as {matrix.display_name} returns it (unified fields only).",
        fields=tuple(fields),
        not_nullable=(),
    )


def _hooks(matrix: Matrix, schemas: dict[str, Any], types: _Types) -> tuple[HookCtx, ...]:
    """Each hook the matrix names, of the one kind `Matrix.hook_kinds` gives it, with the
    annotations and uses gathered from every place that names it."""
    annotations: dict[str, list[str]] = {}
    used: dict[str, list[str]] = {}
    needs: dict[str, set[str]] = {}

    def note(hook: str, annotation: str, where: str) -> None:
        annotations.setdefault(hook, []).append(annotation)
        used.setdefault(hook, []).append(where)

    for res_name, resource in matrix.resources.items():
        names = resource_schema_names(res_name)
        record_props = resolve(schemas, schemas[names["record"]])["properties"]
        for field, rspec in resource.record.items():
            if rspec.hook:
                note(rspec.hook, types.response(record_props[field]), f"{res_name}.record.{field}")
        for op_name, op in resource.operations.items():
            if op_name not in REQUEST_OPERATIONS:
                continue
            props = resolve(schemas, schemas[names[op_name]])["properties"]
            for field, wspec in op.fields.items():
                if wspec.hook:
                    enum = list(wspec.enum) if wspec.enum is not None else None
                    where = f"{res_name}.{op_name}.{field}"
                    note(wspec.hook, types.request(props[field], enum), where)
                    needs.setdefault(wspec.hook, set()).update(wspec.needs)
            for check in op.checks:
                note(check, names[op_name], f"{res_name}.{op_name}")
    kinds = matrix.hook_kinds()  # one kind each: the schema refuses a name of two
    hooks = []
    for name in sorted(annotations):
        (kind,) = kinds[name]
        annotation = " | ".join(dict.fromkeys(annotations[name]))
        hooks.append(
            HookCtx(
                name=name,
                kind=kind,
                value_annotation=annotation + ("" if kind == "check" else " | None"),
                used_by=tuple(used[name]),
                needs=tuple(sorted(needs.get(name, ()))),
            )
        )
    return tuple(hooks)


def integration_context(inputs: Inputs, name: str) -> IntegrationCtx:
    matrix = inputs.matrices[name]
    schemas = inputs.schemas
    types = _Types(schemas)
    models: list[ModelCtx] = []
    params: list[ParamsCtx] = []
    for res_name, resource in matrix.resources.items():
        for op_name in REQUEST_OPERATIONS:
            if op_name in resource.operations:
                models.append(_request_model(matrix, res_name, op_name, schemas, types))
                params.append(_params(matrix, res_name, op_name, schemas, types))
        models.append(_record_model(matrix, res_name, schemas, types))
    hooks = _hooks(matrix, schemas, types)
    spec = SpecExpression(matrix)
    base = inputs.spec_path.resolve().parent.parent
    return IntegrationCtx(
        name=name,
        display_name=matrix.display_name,
        hooks_class=matrix.hooks_class,
        inputs=(
            inputs.spec_path.resolve().relative_to(base).as_posix(),
            inputs.matrix_paths[name].resolve().relative_to(base).as_posix(),
        ),
        models=tuple(models),
        model_imports=tuple(sorted(types.imports)),
        param_imports=tuple(sorted(types.param_imports)),
        params=tuple(params),
        clients=tuple(_client(matrix, r) for r in sorted(matrix.resources)),
        readers=tuple(_read_fn(matrix, r) for r in sorted(matrix.resources)),
        writers=tuple(
            _write_fn(matrix, r, op)
            for r in sorted(matrix.resources)
            for op in REQUEST_OPERATIONS
            if op in matrix.resources[r].operations
        ),
        hooks=hooks,
        spec_expression=spec.text,
        spec_classes=tuple(sorted(spec.classes)),
        resources=tuple(sorted(matrix.resources)),
        operations=tuple(sorted({op for r in matrix.resources.values() for op in r.operations})),
    )


@dataclass(frozen=True)
class UnifiedCtx:
    """The unified side: each resource's record base class and client, the dict forms of the
    spec's object schemas, and the integrations under `crm`."""

    records: tuple[ModelCtx, ...]
    params: tuple[ParamsCtx, ...]
    clients: tuple[ResourceCtx, ...]
    model_imports: tuple[str, ...]
    integrations: tuple[IntegrationCtx, ...]


def unified_context(inputs: Inputs, integrations: list[IntegrationCtx]) -> UnifiedCtx:
    schemas = inputs.schemas
    types = _Types(schemas)
    resources = sorted({r for m in inputs.matrices.values() for r in m.resources})
    records = []
    clients = []
    for resource in resources:
        names = resource_schema_names(resource)
        props = resolve(schemas, schemas[names["record"]])["properties"]
        fields = [
            FieldCtx(
                name,
                "str" if name == "id" else types.response(props[name]) + " | None",
                name == "id",
                _description(props[name], schemas),
            )
            for name in props
        ]
        records.append(
            ModelCtx(
                class_name=names["record"],
                operation="record",
                description=f"A {resource[:-1]} from any integration: the base class of every "
                f"integration's `{names['record']}` (a field an integration does not return "
                f"reads as None).",
                fields=tuple(fields),
                not_nullable=(),
            )
        )
        ops = {
            op
            for m in inputs.matrices.values()
            if resource in m.resources
            for op in m.resources[resource].operations
        }
        clients.append(
            ResourceCtx(
                name=resource,
                class_name=resource.capitalize(),
                record=names["record"],
                bodies={op: "Mapping[str, Any] | BaseModel" for op in REQUEST_OPERATIONS},
                operations=tuple(op for op in OPERATIONS if op in ops),
            )
        )
    param_names = sorted({n.removesuffix("Param") for c in integrations for n in c.param_imports})
    params = []
    for name in param_names:
        schema = resolve(schemas, schemas[name])
        required = set(schema.get("required", ()))
        fields = []
        for field, prop in schema.get("properties", {}).items():
            annotation = types.param(prop, None)
            annotation = f"Required[{annotation}]" if field in required else f"{annotation} | None"
            fields.append(
                FieldCtx(field, annotation, field in required, _description(prop, schemas))
            )
        params.append(
            ParamsCtx(
                class_name=f"{name}Param",
                description=f"`{name}` as a dict (in a dict request body).",
                fields=tuple(fields),
            )
        )
    return UnifiedCtx(
        records=tuple(records),
        params=tuple(params),
        clients=tuple(clients),
        model_imports=tuple(sorted(types.imports)),
        integrations=tuple(integrations),
    )
