"""Load and validate the generator's inputs before anything is written.

Every problem becomes an `InputError` naming the file, the key path inside it and what was
expected. All problems are collected, so one run reports them all.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from unifold._matrix import REQUEST_OPERATIONS, Matrix


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
    # Hooks the matrix names whose method still only raises NotImplementedError (a skeleton).
    unimplemented: dict[str, list[str]] = dataclass_field(default_factory=dict)

    @property
    def schemas(self) -> dict[str, Any]:
        return dict(self.spec["components"]["schemas"])


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# libyaml's loader when present: about 8x faster than the pure-Python one on these inputs.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path, root: Path, errors: list[InputError], what: str) -> Any:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        errors.append(InputError(_rel(path, root), "", f"readable YAML ({exc})"))
        return None
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a YAML {type(data).__name__}"
        errors.append(
            InputError(
                _rel(path, root),
                "",
                f"{what} as a YAML mapping, not {found}. Fix: restore its content (git), or "
                f"delete the file to remove it on purpose",
            )
        )
        return None
    return data


# JSON Schema 2020-12 and OpenAPI 3.1 schema keywords: any other key in a schema is a typo
# (`enm:`), which JSON Schema itself would silently ignore.
SCHEMA_KEYWORDS = frozenset(
    """type properties required items enum const description title format default examples
    example allOf anyOf oneOf not $ref additionalProperties minItems maxItems minLength maxLength
    minimum maximum exclusiveMinimum exclusiveMaximum pattern readOnly writeOnly deprecated
    discriminator xml externalDocs uniqueItems multipleOf patternProperties propertyNames
    minProperties maxProperties contentMediaType contentEncoding $comment if then else
    dependentRequired dependentSchemas prefixItems contains unevaluatedProperties
    unevaluatedItems $defs $id $schema $anchor""".split()
)
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA = ("items", "not", "additionalProperties", "if", "then", "else", "contains")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")


def _check_schema(schema: Any, path: str, file: str, errors: list[InputError]) -> None:
    if not isinstance(schema, dict):
        return
    for key in schema:
        if key not in SCHEMA_KEYWORDS and not str(key).startswith("x-"):
            close = difflib.get_close_matches(str(key), SCHEMA_KEYWORDS, n=1)
            fix = f"did you mean `{close[0]}`?" if close else "or prefix an extension with x-"
            errors.append(InputError(file, f"{path}.{key}", f"a JSON Schema keyword ({fix})"))
    for key in _SUBSCHEMA:
        _check_schema(schema.get(key), f"{path}.{key}", file, errors)
    for key in _SUBSCHEMA_LISTS:
        for index, member in enumerate(schema.get(key) or ()):
            _check_schema(member, f"{path}.{key}.{index}", file, errors)
    for key in _SCHEMA_MAPS:
        members = schema.get(key)
        if isinstance(members, dict):
            for name, member in members.items():
                _check_schema(member, f"{path}.{key}.{name}", file, errors)


def _walk(node: Any, path: str) -> Any:
    """Every (key path, mapping) in a YAML document."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}.{index}")


def _pointer(spec: dict[str, Any], ref: str) -> bool:
    """Whether a local `$ref` (`#/components/schemas/Project`) resolves in the document."""
    if not ref.startswith("#/"):
        return False
    node: Any = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _check_refs(spec: dict[str, Any], file: str, errors: list[InputError]) -> None:
    components = spec.get("components") or {}
    known = [f"#/components/{kind}/{name}" for kind, group in components.items() for name in group]
    for path, node in _walk(spec, ""):
        ref = node.get("$ref")
        if isinstance(ref, str) and not _pointer(spec, ref):
            close = difflib.get_close_matches(ref, known, n=1)
            hint = f"did you mean `{close[0]}`?" if close else "a local #/components/... pointer"
            errors.append(InputError(file, f"{path}.$ref", f"a `$ref` that resolves ({hint})"))


def _validate_spec(spec: dict[str, Any], file: str, errors: list[InputError]) -> None:
    before = len(errors)
    _check_refs(spec, file, errors)
    schemas = (spec.get("components") or {}).get("schemas") or {}
    for name, schema in schemas.items():
        _check_schema(schema, f"components.schemas.{name}", file, errors)
    for path, node in _walk(spec.get("paths") or {}, "paths"):
        if isinstance(node.get("schema"), dict):
            _check_schema(node["schema"], f"{path}.schema", file, errors)
    if len(errors) > before:
        return  # the validator's own report of the same mistakes would only bury them

    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(spec)
    except OpenAPIValidationError as exc:
        path = ".".join(str(p) for p in getattr(exc, "path", ()))
        message = " ".join(str(exc.message).split())
        if len(message) > 300:
            message = message[:300] + " ..."
        errors.append(InputError(file, path, f"a valid OpenAPI 3.1 document ({message})"))


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


def find_unimplemented(hooks_file: Path, class_name: str) -> frozenset[str]:
    """Methods of the hooks class still marked `@not_implemented` (a generated skeleton): the
    same mark the runtime refuses calls on, so the note and the refusal always agree."""
    if not hooks_file.exists():
        return frozenset()
    tree = ast.parse(hooks_file.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for method in node.body:
                if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                    _names_not_implemented(d) for d in method.decorator_list
                ):
                    found.add(method.name)
    return frozenset(found)


def _names_not_implemented(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr == "not_implemented"
    return isinstance(target, ast.Name) and target.id == "not_implemented"


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _check_writers(op: Any, op_path: str, file: str, errors: list[InputError]) -> None:
    """Writers run in matrix order; two that reach the same wire path must say how they
    combine, or the later one silently replaces (or is replaced by) the other."""
    targets = [
        (field, path, spec)
        for field, spec in op.fields.items()
        for path in ([spec.to] if spec.to else spec.writes)
    ]
    for index, (first, first_path, _) in enumerate(targets):
        for later, later_path, later_spec in targets[index + 1 :]:
            if first == later or not _overlaps(first_path, later_path):
                continue
            if later_spec.combine == "merge" and later_path.startswith(first_path + "."):
                continue  # runs after `first` and writes inside the object it built
            errors.append(
                InputError(
                    file,
                    f"{op_path}.fields.{later}",
                    f"a wire path apart from `{first_path}` (fields.{first}); `{later_path}` "
                    f"overlaps it, so one writer would replace the other. Fix: map them to "
                    f"separate paths, or list the field that writes inside the other's object "
                    f"after it with `combine: merge`",
                )
            )


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
            if op_name not in REQUEST_OPERATIONS:
                continue
            body_schema_name = names[op_name]
            if body_schema_name not in schemas:
                errors.append(InputError(file, op_path, f"a `{body_schema_name}` schema in spec"))
                continue
            props = resolve(schemas, schemas[body_schema_name]).get("properties", {})
            _check_writers(op, op_path, file, errors)
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


def load_inputs(root: Path, spec_dir: Path | None = None, hooks_dir: Path | None = None) -> Inputs:
    spec_dir = spec_dir or root / "openapi"
    hooks_dir = hooks_dir or root / "unifold" / "hooks"
    errors: list[InputError] = []
    spec_path = spec_dir / "crm.yaml"
    spec = _load_yaml(spec_path, root, errors, "the unified OpenAPI spec")
    if spec is not None:
        _validate_spec(spec, _rel(spec_path, root), errors)
    spec_ok = spec is not None and not errors
    matrices: dict[str, Matrix] = {}
    paths: dict[str, Path] = {}
    hooks_found: dict[str, frozenset[str] | None] = {}
    unimplemented: dict[str, list[str]] = {}
    folder = spec_dir / "integrations"
    matrix_files = sorted(folder.glob("*.yaml"))
    for other in sorted(folder.iterdir() if folder.is_dir() else ()):
        if other.is_file() and other.suffix != ".yaml" and not other.name.startswith("."):
            errors.append(
                InputError(
                    _rel(other, root),
                    "",
                    f"a matrix named <integration>.yaml (only those are read). Fix: rename it "
                    f"to {other.stem}.yaml, or move it out of {_rel(folder, root)}",
                )
            )
    if not matrix_files:
        errors.append(InputError(_rel(folder, root), "", "at least one matrix"))
    for path in matrix_files:
        file = _rel(path, root)
        data = _load_yaml(path, root, errors, "a field-support matrix")
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
            for hook in sorted(matrix.hook_names() - found):
                errors.append(
                    InputError(
                        file,
                        f"hook '{hook}'",
                        f"a method `{hook}` on class {matrix.hooks_class} in "
                        f"{_rel(hooks_dir / f'{name}.py', root)}",
                    )
                )
            for method in sorted(found - matrix.hook_names()):
                if method == "check" or method.startswith("check_"):
                    errors.append(
                        InputError(
                            file,
                            "resources.projects.operations.<operation>.checks",
                            f"`{method}` of {matrix.hooks_class} listed under an operation's "
                            f"`checks:` (only listed checks run; rename it with a leading "
                            f"underscore if it is a helper)",
                        )
                    )
        todo = find_unimplemented(hooks_dir / f"{name}.py", matrix.hooks_class)
        if todo & matrix.hook_names():
            unimplemented[name] = sorted(todo & matrix.hook_names())
        matrices[name] = matrix
        paths[name] = path
        hooks_found[name] = found
    if errors:
        raise InputsInvalid(errors)
    return Inputs(root, spec_path, spec, matrices, paths, hooks_found, unimplemented)
