"""Hooks build on one public surface, `unifold.extend`: no hooks module (ours, the skeleton the
generator writes, the sixth-integration fixture) imports a private unifold module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import unifold.extend

ROOT = Path(__file__).resolve().parent.parent
HOOK_FILES = sorted(
    p for p in (ROOT / "unifold" / "hooks").glob("*.py") if not p.name.startswith("_")
) + [ROOT / "tests" / "fixtures" / "sixth" / "acme_hooks.py"]


def _unifold_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level:  # `from .._engine import ...`
            found.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("unifold"):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names if a.name.startswith("unifold"))
    return found


def _private(module: str) -> bool:
    return module != "unifold.extend" and not module.startswith("unifold.generated.")


@pytest.mark.parametrize("path", HOOK_FILES, ids=lambda p: p.name)
def test_hooks_modules_import_only_the_public_surface(path: Path) -> None:
    assert [m for m in _unifold_imports(path.read_text()) if _private(m)] == []


def test_the_generated_skeleton_imports_only_the_public_surface() -> None:
    template = ROOT / "codegen" / "templates" / "hooks_skeleton.py.jinja"
    imports = [
        line for line in template.read_text().splitlines() if line.startswith("from unifold")
    ]
    assert imports and all(
        line.startswith(("from unifold.extend import", "from unifold.generated."))
        for line in imports
    )


def test_everything_extend_promises_is_there() -> None:
    assert all(getattr(unifold.extend, name, None) is not None for name in unifold.extend.__all__)


def test_the_hook_names_once_in_unifold_types_still_resolve_with_a_warning() -> None:
    import unifold.types

    with pytest.warns(DeprecationWarning, match="unifold.extend.WriteContext"):
        from unifold.types import WriteContext
    assert WriteContext is unifold.extend.WriteContext
    with pytest.raises(AttributeError):
        unifold.types.NoSuchName  # noqa: B018
