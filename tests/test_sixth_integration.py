"""Adding an integration is three files, exactly README's "Add an integration" steps: a synthetic
sixth one (tests/fixtures/sixth/) goes into a copy of the tree, `python -m codegen generate`
runs, and the shared integration suite runs against it (it iterates the generated registry)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "sixth"
# README steps 1-3: where each of the three hand-written files goes.
STEPS = {
    "acme.yaml": "openapi/integrations/acme.yaml",
    "acme_hooks.py": "unifold/hooks/acme.py",
    "acme_sandbox.py": "unifold/sandbox/acme.py",
}


def _copy_tree(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("unifold", "codegen", "openapi", "generated"):
        shutil.copytree(ROOT / folder, target / folder, symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "tests" / "integration", target / "tests" / "integration", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_sixth_integration_is_three_files_and_passes_the_shared_suite(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    _copy_tree(tree)
    for fixture, place in STEPS.items():
        shutil.copy(FIXTURES / fixture, tree / place)

    generated = _run(["-m", "codegen", "generate"], tree)  # README step 4: make generate
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "crm/acme.py" in generated.stdout and "crm/registry.py" in generated.stdout
    assert (
        (tree / "generated" / "docs" / "crm" / "projects" / "update.md").read_text().count("Acme")
    )

    suite = _run(
        [
            "-m",
            "pytest",
            "-o",
            "addopts=",
            "-p",
            "no:cacheprovider",
            "-q",
            "tests/integration",
            "-k",
            "acme",
        ],
        tree,
    )
    summary = suite.stdout.strip().splitlines()[-1] if suite.stdout.strip() else suite.stderr
    assert suite.returncode == 0, suite.stdout[-4000:] + suite.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 40, summary
    assert "failed" not in summary and "error" not in summary
