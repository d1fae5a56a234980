"""The promise: change the spec and a matrix, regenerate, import the new typed field."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import yaml

from codegen.cli import main

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "unifold" / "hooks"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic resolves the annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def _hashes() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in HOOKS.glob("*.py")}


def test_new_unified_field_reaches_one_integration_only(
    repo_inputs: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    spec_path = repo_inputs / "crm.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["components"]["schemas"]["ProjectUpdate"]["properties"]["priority"] = {
        "type": "string",
        "enum": ["low", "normal", "high"],
        "description": "The project's priority",
    }
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    matrix_path = repo_inputs / "integrations" / "planhat.yaml"
    matrix = yaml.safe_load(matrix_path.read_text())
    # Inside the `custom` object the custom_fields hook sends: listed after it, merged into it.
    matrix["resources"]["projects"]["operations"]["update"]["fields"]["priority"] = {
        "to": "custom.Priority",
        "enum": {"low": "Low", "high": "High"},
        "combine": "merge",
    }
    matrix_path.write_text(yaml.safe_dump(matrix, sort_keys=False))
    out = tmp_path / "generated"
    hooks_before = _hashes()

    # The committed output is now stale, and check says so before anything is regenerated.
    assert main(["check", "--spec-dir", str(repo_inputs), "--hooks-dir", str(HOOKS)]) == 1
    err = capsys.readouterr().err
    assert "stale:       crm/planhat.py" in err and "make generate" in err

    assert (
        main(
            [
                "generate",
                "--spec-dir",
                str(repo_inputs),
                "--out",
                str(out),
                "--hooks-dir",
                str(HOOKS),
            ]
        )
        == 0
    )
    assert _hashes() == hooks_before  # hand-written hooks untouched

    planhat = _load(out / "crm" / "planhat.py", "regen_planhat")
    capsule = _load(out / "crm" / "capsule.py", "regen_capsule")
    assert "priority" in planhat.ProjectUpdate.model_fields
    assert "priority" not in capsule.ProjectUpdate.model_fields
    # The typed client's dict body follows the matrix too (what mypy checks a dict against).
    priority = planhat.ProjectUpdateParams.__annotations__["priority"]
    assert "Literal['low', 'high'] | None" in str(priority)
    assert "priority" not in capsule.ProjectUpdateParams.__annotations__
    body = planhat.ProjectUpdate(priority="high")
    assert body.priority == "high"
    try:
        planhat.ProjectUpdate(priority="normal")  # in the unified enum, not in Planhat's subset
    except Exception as exc:  # pydantic.ValidationError
        assert "priority" in str(exc) and "'low'" in str(exc) and "'high'" in str(exc)
    else:
        raise AssertionError("Planhat accepted a priority outside its enum")
    assert "priority" in (out / "docs/crm/projects/update.md").read_text()
    assert (
        main(
            ["check", "--spec-dir", str(repo_inputs), "--out", str(out), "--hooks-dir", str(HOOKS)]
        )
        == 0
    )


def test_new_integration_gets_a_hooks_skeleton_once(tmp_path: Path) -> None:
    mini = Path(__file__).parent / "fixtures" / "mini"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    out = tmp_path / "generated"
    args = [
        "generate",
        "--spec-dir",
        str(mini / "openapi"),
        "--out",
        str(out),
        "--hooks-dir",
        str(hooks),
    ]
    assert main(args) == 0
    skeleton = hooks / "acme.py"
    text = skeleton.read_text()
    assert "class AcmeHooks(AcmeHooksBase):" in text and "def write_owner" in text
    skeleton.write_text(text + "\n# my edit\n")
    assert main(args) == 0
    assert skeleton.read_text().endswith("# my edit\n")  # never overwritten
