"""Generator mistakes that used to pass silently: each is now an error naming the file, the key
path and the fix; the run exits non-zero and writes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from codegen import cli
from codegen.cli import main

from .conftest import generated_spec

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "unifold" / "hooks"


def _generate(spec_dir: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(
        ["generate", "--spec-dir", str(spec_dir), "--out", str(out), "--hooks-dir", str(HOOKS)]
    )
    return code, capsys.readouterr().err


def _refused(repo_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    out = tmp_path / "out"
    code, err = _generate(repo_inputs, out, capsys)
    assert code == 2, err
    assert "nothing was written" in err
    assert not out.exists()
    return [line.strip() for line in err.splitlines()[1:]]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_empty_matrix_is_refused_not_a_deleted_integration(
    repo_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo_inputs / "integrations" / "planhat.yaml").write_text("")
    (line,) = _refused(repo_inputs, tmp_path, capsys)
    assert "openapi/integrations/planhat.yaml: " in line
    assert "not an empty file" in line and "delete the file" in line


def test_yml_matrix_is_refused_not_ignored(
    repo_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = repo_inputs / "integrations"
    (folder / "planhat.yaml").rename(folder / "planhat.yml")
    (line,) = _refused(repo_inputs, tmp_path, capsys)
    assert "openapi/integrations/planhat.yml: " in line
    assert "rename it to planhat.yaml" in line


def test_keyword_typo_in_the_spec_is_refused(
    repo_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _replace(
        repo_inputs / "crm.yaml",
        "enum: [open, closed, not started",
        "enm: [open, closed, not started",
    )
    (line,) = _refused(repo_inputs, tmp_path, capsys)
    assert "openapi/crm.yaml: components.schemas.ProjectStatus.enm: " in line
    assert "did you mean `enum`?" in line


def test_properties_typo_is_one_error_not_one_per_matrix_field(
    repo_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = repo_inputs / "crm.yaml"
    text = spec.read_text()
    start = text.index("    ProjectUpdate:")
    index = text.index("      properties:", start)
    spec.write_text(text[:index] + "      propertes:" + text[index + len("      properties:") :])
    (line,) = _refused(repo_inputs, tmp_path, capsys)
    assert "components.schemas.ProjectUpdate.propertes" in line
    assert "did you mean `properties`?" in line


def test_bad_ref_names_the_ref_without_dumping_the_spec(
    repo_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _replace(
        repo_inputs / "crm.yaml",
        '$ref: "#/components/schemas/Reference"',
        '$ref: "#/components/schemas/Referense"',
    )
    lines = _refused(repo_inputs, tmp_path, capsys)
    assert lines and all(".$ref: a `$ref` that resolves" in line for line in lines)
    assert "did you mean `#/components/schemas/Reference`?" in lines[0]
    assert all(len(line) < 300 for line in lines)


def test_bad_id_pattern_is_a_named_error(
    repo_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    matrix = repo_inputs / "integrations" / "capsule.yaml"
    text = matrix.read_text()
    pattern = re.search(r"id_pattern: (.+)\n", text)
    assert pattern is not None
    matrix.write_text(text.replace(pattern.group(0), "id_pattern: '^([0-9]+$'\n", 1))
    (line,) = _refused(repo_inputs, tmp_path, capsys)
    assert "openapi/integrations/capsule.yaml: provider: " in line
    assert "id_pattern '^([0-9]+$' is not a valid regular expression" in line


PLANHAT_CURRENCY = "          currency: {to: currency}\n          remote_data: {merge: true}"


def _planhat_update_currency(repo_inputs: Path, mapping: str) -> None:
    matrix = repo_inputs / "integrations" / "planhat.yaml"
    text = matrix.read_text()
    update = text.index("      update:")
    index = text.index(PLANHAT_CURRENCY, update)
    new = f"          currency: {mapping}\n          remote_data: {{merge: true}}"
    matrix.write_text(text[:index] + new + text[index + len(PLANHAT_CURRENCY) :])


def test_overlapping_writers_must_say_how_they_combine(
    repo_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The hook sends Planhat's whole `custom` object; a field mapped inside it would be lost.
    _planhat_update_currency(repo_inputs, "{to: custom.Currency}")
    (line,) = _refused(repo_inputs, tmp_path, capsys)
    assert "operations.update.fields.currency" in line
    assert "`custom.Currency` overlaps" in line and "(fields.custom_fields)" in line
    assert "combine: merge" in line


def test_declared_merge_runs_after_the_writer_it_builds_on(
    repo_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _planhat_update_currency(repo_inputs, "{to: custom.Currency, combine: merge}")
    out = tmp_path / "out"
    code, err = _generate(repo_inputs, out, capsys)
    assert code == 0, err
    text = (out / "crm" / "planhat.py").read_text()
    fields = list(generated_spec(text).resources["projects"].operations["update"].fields)
    # Matrix order (the order writers run in), not alphabetical.
    assert fields.index("custom_fields") < fields.index("currency") < fields.index("remote_data")
    assert fields != sorted(fields)


def test_merge_listed_before_the_object_it_writes_into_is_refused(
    repo_inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    matrix = repo_inputs / "integrations" / "planhat.yaml"
    text = matrix.read_text()
    update = text.index("      update:")
    fields = text.index("        fields:\n", update) + len("        fields:\n")
    tail = text[fields:].replace(PLANHAT_CURRENCY, "          remote_data: {merge: true}", 1)
    merge_first = "          currency: {to: custom.Currency, combine: merge}\n"
    matrix.write_text(text[:fields] + merge_first + tail)
    (line,) = _refused(repo_inputs, tmp_path, capsys)
    assert "operations.update.fields.custom_fields" in line and "`custom` overlaps" in line


def test_check_trusts_the_manifest_when_nothing_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_render(*args: object) -> None:
        raise AssertionError("check re-rendered although the manifest vouches for the output")

    monkeypatch.setattr(cli, "render_all", no_render)
    monkeypatch.setattr(cli, "load_inputs", no_render)
    assert main(["check"]) == 0


def test_check_re_renders_when_an_input_changed(
    repo_inputs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[int] = []
    real: Callable[..., dict[str, str]] = cli.render_all
    monkeypatch.setattr(cli, "render_all", lambda inputs: calls.append(1) or real(inputs))
    _replace(
        repo_inputs / "integrations" / "planhat.yaml",
        "display_name: Planhat",
        "display_name: PlanHat",
    )
    assert main(["check", "--spec-dir", str(repo_inputs), "--hooks-dir", str(HOOKS)]) == 1
    assert calls == [1]
    assert "stale:       crm/planhat.py" in capsys.readouterr().err


def test_the_generator_reports_the_hooks_the_runtime_refuses(tmp_path: Path) -> None:
    # The note at generate time and the refusal at run time read the same mark.
    from codegen.inputs import find_unimplemented

    hooks = tmp_path / "acme.py"
    hooks.write_text(
        "from unifold.extend import not_implemented\n"
        "class AcmeHooks:\n"
        "    @not_implemented\n"
        "    def read_owner(self, record):\n"
        "        return None\n"
        "    def write_owner(self, value, ctx):\n"
        "        raise NotImplementedError\n"
    )
    assert find_unimplemented(hooks, "AcmeHooks") == {"read_owner"}
