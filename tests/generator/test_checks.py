"""Cross-field rules are matrix data: `checks:` on an operation names hooks that the generated
`check_<record>_<operation>` calls, in order, on the validated body before anything is sent."""

from __future__ import annotations

from pathlib import Path

from codegen.cli import main
from tests.generator.test_inputs import ROOT, _edit, _errors


def _update(data: dict, **changes: object) -> None:  # type: ignore[type-arg]
    data["resources"]["projects"]["operations"]["update"].update(changes)


def test_checks_are_generated_into_the_base_class_the_skeleton_and_a_function(
    mini: Path, tmp_path: Path
) -> None:
    _edit(
        mini / "openapi/integrations/acme.yaml", lambda d: _update(d, checks=["check_b", "check_a"])
    )
    hooks, out = tmp_path / "hooks", tmp_path / "generated"
    hooks.mkdir()
    args = ["generate", "--spec-dir", str(mini / "openapi"), "--out", str(out)]
    assert main([*args, "--hooks-dir", str(hooks)]) == 0
    module = (out / "crm" / "acme.py").read_text()
    assert "def check_a(self, operation: str, data: ProjectUpdate) -> None:" in module
    # The matrix's order, not the alphabet's.
    assert (
        "def check_project_update(data: ProjectUpdate, hooks: AcmeHooksBase) -> None:\n"
        '    """The matrix\'s `update` checks, in order, on the validated body."""\n'
        '    hooks.check_b("update", data)\n'
        '    hooks.check_a("update", data)\n'
    ) in module
    skeleton = (hooks / "acme.py").read_text()
    assert (
        "    @not_implemented\n    def check_b(self, operation: str, data: Any) -> None:"
        in skeleton
    )


def test_a_declared_check_must_exist_in_the_hooks_module(mini: Path) -> None:
    _edit(mini / "openapi/integrations/acme.yaml", lambda d: _update(d, checks=["check_owner"]))
    (err,) = _errors(mini / "openapi", mini / "hooks")
    assert "hook 'check_owner'" in err and "class AcmeHooks" in err


def test_checks_only_on_operations_with_a_body(repo_inputs: Path) -> None:
    def on_get(data: dict) -> None:  # type: ignore[type-arg]
        data["resources"]["projects"]["operations"]["get"]["checks"] = ["check_tags"]

    _edit(repo_inputs / "integrations/capsule.yaml", on_get)
    (err,) = _errors(repo_inputs, ROOT / "unifold" / "hooks")
    assert "capsule.yaml" in err and "get.checks" in err and "create, update" in err


def test_one_hook_is_one_kind(mini: Path) -> None:
    matrix = mini / "openapi/integrations/acme.yaml"
    _edit(matrix, lambda d: _update(d, checks=["write_owner"]))
    (err,) = _errors(mini / "openapi", mini / "hooks")
    assert "write_owner" in err and "more than one kind" in err


def test_a_check_method_the_matrix_does_not_list_is_an_error(mini: Path) -> None:
    # The runtime calls only listed checks: an unlisted one would never run, silently.
    hooks = mini / "hooks/acme.py"
    hooks.write_text(
        hooks.read_text() + "\n    def check_budget(self, operation, data):\n        pass\n"
    )
    (err,) = _errors(mini / "openapi", mini / "hooks")
    assert "`check_budget` of AcmeHooks" in err and "checks:" in err
