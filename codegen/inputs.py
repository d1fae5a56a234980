"""Load and validate the generator's inputs before anything is written.

Every problem becomes an `InputError` naming the file, the key path inside it and what was
expected. All problems are collected, so one run reports them all.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from codegen.matrix import Matrix


@dataclass(frozen=True)
class InputError:
    file: str
    key_path: str
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key_path}" if self.key_path else self.file
        return f"{where}: {self.expected}"


class InputsInvalid(Exception):
    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Inputs:
    root: Path
    spec_path: Path
    spec: dict[str, Any]
    matrices: dict[str, Matrix]  # by integration name, sorted
    matrix_paths: dict[str, Path]
    # Hook methods found per integration in the hand-written module; None = module absent.
    hooks_found: dict[str, frozenset[str] | None]

    @property
    def schemas(self) -> dict[str, Any]:
        return dict(self.spec["components"]["schemas"])

    def input_files(self) -> list[Path]:
        return [self.spec_path, *(self.matrix_paths[name] for name in self.matrices)]


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# libyaml's loader when present: about 8x faster than the pure-Python one on these inputs.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path, root: Path, errors: list[InputError]) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        errors.append(InputError(_rel(path, root), "", f"readable YAML ({exc})"))
        return None


def _validate_spec(spec: Any, file: str, errors: list[InputError]) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(spec)
    except OpenAPIValidationError as exc:
        path = ".".join(str(p) for p in getattr(exc, "path", ()))
        errors.append(InputError(file, path, f"a valid OpenAPI 3.1 document ({exc.message})"))


def resolve(schemas: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref` and single-member `allOf` to the schema that carries the type."""
    while True:
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def resource_schema_names(resource: str) -> dict[str, str]:
    """`projects` -> Project / ProjectCreate / ProjectUpdate (Truto's naming)."""
    base = resource[:-1].capitalize() if resource.endswith("s") else resource.capitalize()
    return {"record": base, "create": f"{base}Create", "update": f"{base}Update"}


def find_hook_methods(hooks_file: Path, class_name: str) -> frozenset[str] | None:
    """Methods of the hand-written hooks class, read without importing it (it may be stale)."""
    if not hooks_file.exists():
        return None
    tree = ast.parse(hooks_file.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return frozenset(
                n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return frozenset()


def _cross_check(
    name: str, matrix: Matrix, file: str, schemas: dict[str, Any], errors: list[InputError]
) -> None:
    if matrix.integration != name:
        errors.append(InputError(file, "integration", f"'{name}' (the file's name)"))
    for res_name, resource in matrix.resources.items():
        names = resource_schema_names(res_name)
        base = f"resources.{res_name}"
        if names["record"] not in schemas:
            errors.append(
                InputError(file, base, f"a resource with a `{names['record']}` schema in the spec")
            )
            continue
        record_props = resolve(schemas, schemas[names["record"]]).get("properties", {})
        for field in resource.record:
            if field not in record_props or field == "remote_data":
                allowed = sorted(set(record_props) - {"remote_data"})
                errors.append(InputError(file, f"{base}.record.{field}", f"one of {allowed}"))
        for op_name, op in resource.operations.items():
            op_path = f"{base}.operations.{op_name}"
            read_back = op.response.read_back
            if read_back is not None and read_back not in resource.fetches:
                errors.append(
                    InputError(
                        file,
                        f"{op_path}.response.read_back",
                        f"one of the fetches {sorted(resource.fetches)}",
                    )
                )
            for field in op.response.fields:
                if field != "id" and field not in resource.record:
                    errors.append(
                        InputError(
                            file,
                            f"{op_path}.response.fields",
                            f"'{field}' to be mapped in {base}.record",
                        )
                    )
            if op.fields and op_name not in ("create", "update"):
                errors.append(InputError(file, f"{op_path}.fields", "fields only on create/update"))
                continue
            if op_name not in ("create", "update"):
                continue
            body_schema_name = names[op_name]
            if body_schema_name not in schemas:
                errors.append(InputError(file, op_path, f"a `{body_schema_name}` schema in spec"))
                continue
            props = resolve(schemas, schemas[body_schema_name]).get("properties", {})
            for field, spec in op.fields.items():
                fpath = f"{op_path}.fields.{field}"
                if field not in props:
                    errors.append(
                        InputError(file, fpath, f"a field of {body_schema_name}: {sorted(props)}")
                    )
                    continue
                if spec.merge and field != "remote_data":
                    errors.append(InputError(file, f"{fpath}.merge", "merge only on remote_data"))
                for need in spec.needs:
                    if need not in resource.fetches:
                        errors.append(
                            InputError(
                                file,
                                f"{fpath}.needs",
                                f"one of the fetches {sorted(resource.fetches)}",
                            )
                        )
                if spec.enum is not None:
                    unified = resolve(schemas, props[field]).get("enum")
                    if unified is None:
                        errors.append(InputError(file, f"{fpath}.enum", "only on enum fields"))
                        continue
                    extra = sorted(set(spec.enum) - set(unified))
                    if extra:
                        errors.append(
                            InputError(
                                file,
                                f"{fpath}.enum",
                                f"keys within the unified enum {unified}; not {extra}",
                            )
                        )
        for field, rspec in resource.record.items():
            if rspec.enum is not None:
                unified = resolve(schemas, record_props.get(field, {})).get("enum")
                bad = sorted(set(rspec.enum.values()) - set(unified or ()))
                if bad:
                    errors.append(
                        InputError(
                            file,
                            f"{base}.record.{field}.enum",
                            f"values within the unified enum {unified}; not {bad}",
                        )
                    )


def hook_names(matrix: Matrix) -> set[str]:
    names: set[str] = set()
    for resource in matrix.resources.values():
        names.update(f.hook for f in resource.record.values() if f.hook)
        for op in resource.operations.values():
            names.update(f.hook for f in op.fields.values() if f.hook)
    return names


def load_inputs(root: Path, spec_dir: Path | None = None, hooks_dir: Path | None = None) -> Inputs:
    spec_dir = spec_dir or root / "openapi"
    hooks_dir = hooks_dir or root / "unifold" / "hooks"
    errors: list[InputError] = []
    spec_path = spec_dir / "crm.yaml"
    spec = _load_yaml(spec_path, root, errors)
    if spec is not None:
        _validate_spec(spec, _rel(spec_path, root), errors)
    spec_ok = spec is not None and not errors
    matrices: dict[str, Matrix] = {}
    paths: dict[str, Path] = {}
    hooks_found: dict[str, frozenset[str] | None] = {}
    matrix_files = sorted((spec_dir / "integrations").glob("*.yaml"))
    if not matrix_files:
        errors.append(InputError(_rel(spec_dir / "integrations", root), "", "at least one matrix"))
    for path in matrix_files:
        file = _rel(path, root)
        data = _load_yaml(path, root, errors)
        if data is None:
            continue
        try:
            matrix = Matrix.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                key_path = ".".join(str(p) for p in err["loc"])
                errors.append(InputError(file, key_path, err["msg"]))
            continue
        name = path.stem
        if spec_ok:
            _cross_check(name, matrix, file, spec["components"]["schemas"], errors)
        found = find_hook_methods(hooks_dir / f"{name}.py", matrix.hooks_class)
        if found is not None:
            for hook in sorted(hook_names(matrix) - found):
                errors.append(
                    InputError(
                        file,
                        f"hook '{hook}'",
                        f"a method `{hook}` on class {matrix.hooks_class} in "
                        f"{_rel(hooks_dir / f'{name}.py', root)}",
                    )
                )
        matrices[name] = matrix
        paths[name] = path
        hooks_found[name] = found
    if errors:
        raise InputsInvalid(errors)
    return Inputs(root, spec_path, spec, matrices, paths, hooks_found)
