from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import unifold._matrix
from unifold._matrix import Matrix

ROOT = Path(__file__).resolve().parents[2]
MINI = Path(__file__).parent / "fixtures" / "mini"


def spec_call(source: str) -> ast.Call:
    """The expression a generated module assigns to `SPEC`, which must be a `Matrix(...)`
    call whose arguments are literals and further calls of `unifold._matrix` classes only."""
    found = [
        node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "SPEC"
    ]
    assert len(found) == 1, "one `SPEC: ... = ...` assignment"
    call = found[0]
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name), ast.dump(call)
    assert call.func.id == "Matrix" and not call.args
    functions = {id(n.func) for n in ast.walk(call) if isinstance(n, ast.Call)}
    for node in ast.walk(call):
        if isinstance(node, ast.Name):  # a name only as the class called, never as a value
            assert id(node) in functions, ast.unparse(node)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name), ast.unparse(node)
            assert isinstance(getattr(unifold._matrix, node.func.id, None), type), node.func.id
            assert not node.args and all(k.arg for k in node.keywords), ast.unparse(node)
        else:
            allowed = (ast.Constant, ast.Dict, ast.List, ast.keyword, ast.Name, ast.Load)
            negative = (ast.UnaryOp, ast.USub)  # a negative number is -(constant)
            assert isinstance(node, allowed + negative), ast.dump(node)
    return call


def generated_spec(source: str) -> Matrix:
    """The `SPEC` of a generated module's source, built without importing the module."""
    expression = ast.Expression(spec_call(source))
    spec = eval(compile(expression, "<SPEC>", "eval"), vars(unifold._matrix))
    assert isinstance(spec, Matrix)
    return spec


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the small fixture: openapi/ and hooks/."""
    target = tmp_path / "mini"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture
def repo_inputs(tmp_path: Path) -> Path:
    """A writable copy of the real openapi/ folder."""
    target = tmp_path / "openapi"
    shutil.copytree(ROOT / "openapi", target)
    return target
