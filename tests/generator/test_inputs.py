"""Input validation: every problem names the file, the key path and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from codegen.cli import main
from codegen.inputs import InputsInvalid, load_inputs
from unifold.generated.crm.registry import INTEGRATIONS

ROOT = Path(__file__).resolve().parents[2]


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _errors(spec_dir: Path, hooks_dir: Path) -> list[str]:
    with pytest.raises(InputsInvalid) as info:
        load_inputs(ROOT, spec_dir, hooks_dir)
    return [str(e) for e in info.value.errors]


def test_real_inputs_are_valid() -> None:
    inputs = load_inputs(ROOT)
    # Exactly the integrations the committed registry was generated from.
    assert sorted(inputs.matrices) == sorted(INTEGRATIONS)


def test_typo_in_a_matrix_key_names_file_and_key_path(mini: Path) -> None:
    matrix = mini / "openapi/integrations/acme.yaml"
    _edit(
        matrix,
        lambda d: d["resources"]["projects"]["operations"]["update"]["fields"]["name"].update(
            {"requird": True}
        ),
    )
    (err,) = _errors(mini / "openapi", mini / "hooks")
    assert "acme.yaml" in err
    assert "resources.projects.operations.update.fields.name.requird" in err
    assert "Extra inputs are not permitted" in err


def test_field_missing_from_unified_schema(mini: Path) -> None:
    matrix = mini / "openapi/integrations/acme.yaml"
    _edit(
        matrix,
        lambda d: d["resources"]["projects"]["operations"]["update"]["fields"].update(
            {"priority": {"to": "prio"}}
        ),
    )
    (err,) = _errors(mini / "openapi", mini / "hooks")
    assert "resources.projects.operations.update.fields.priority" in err
    assert "a field of ProjectUpdate" in err and "'name'" in err


def test_enum_values_must_be_a_subset_of_the_unified_enum(mini: Path) -> None:
    matrix = mini / "openapi/integrations/acme.yaml"
    _edit(
        matrix,
        lambda d: d["resources"]["projects"]["operations"]["update"]["fields"]["status"].update(
            {"enum": {"open": "OPEN", "archived": "ARCH"}}
        ),
    )
    (err,) = _errors(mini / "openapi", mini / "hooks")
    assert "fields.status.enum" in err and "'archived'" in err


def test_a_named_hook_must_exist_in_the_hooks_module(mini: Path) -> None:
    hooks = mini / "hooks/acme.py"
    hooks.write_text(hooks.read_text().replace("def write_owner", "def write_ownr"))
    (err,) = _errors(mini / "openapi", mini / "hooks")
    assert "hook 'write_owner'" in err and "class AcmeHooks" in err and "acme.py" in err


def test_needs_must_name_a_fetch(mini: Path) -> None:
    matrix = mini / "openapi/integrations/acme.yaml"
    _edit(
        matrix,
        lambda d: d["resources"]["projects"]["operations"]["update"]["fields"]["owner"].update(
            {"needs": ["current"]}
        ),
    )
    (err,) = _errors(mini / "openapi", mini / "hooks")
    assert "fields.owner.needs" in err and "fetches" in err


def test_invalid_openapi_spec_is_reported(mini: Path) -> None:
    spec = mini / "openapi/crm.yaml"
    _edit(spec, lambda d: d.update({"openapi": "3.1.0", "info": {"title": "x"}}))
    errors = _errors(mini / "openapi", mini / "hooks")
    assert any("crm.yaml" in e and "OpenAPI" in e for e in errors)


def test_cli_writes_nothing_on_invalid_input(mini: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    matrix = mini / "openapi/integrations/acme.yaml"
    _edit(matrix, lambda d: d.update({"display_nme": "x"}))
    out = tmp_path / "out"
    code = main(
        [
            "generate",
            "--spec-dir",
            str(mini / "openapi"),
            "--out",
            str(out),
            "--hooks-dir",
            str(mini / "hooks"),
        ]
    )
    assert code == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "nothing was written" in err and "display_nme" in err


def test_malformed_yaml_names_the_file(mini: Path) -> None:
    matrix = mini / "openapi/integrations/acme.yaml"
    matrix.write_text(matrix.read_text() + "\n  : [unclosed\n")
    errors = _errors(mini / "openapi", mini / "hooks")
    assert any("acme.yaml" in e and "readable YAML" in e for e in errors)


def test_a_list_without_pagination_is_refused(mini: Path) -> None:
    matrix = mini / "openapi/integrations/acme.yaml"
    _edit(
        matrix,
        lambda d: d["resources"]["projects"]["operations"].update(
            {
                "list": {
                    "request": {"method": "GET", "path": "/projects"},
                    "response": {"status": [200]},
                }
            }
        ),
    )
    (err,) = _errors(mini / "openapi", mini / "hooks")
    assert "acme.yaml" in err and "resources.projects.operations" in err
    assert "`list` needs `pagination`" in err


def test_pagination_style_needs_its_parameters(mini: Path) -> None:
    matrix = mini / "openapi/integrations/acme.yaml"
    _edit(
        matrix,
        lambda d: d["resources"]["projects"]["operations"].update(
            {
                "list": {
                    "request": {"method": "GET", "path": "/projects"},
                    "response": {"status": [200]},
                    "pagination": {
                        "style": "page",
                        "size_param": "size",
                        "max_size": 10,
                        "source": "x",
                    },
                }
            }
        ),
    )
    (err,) = _errors(mini / "openapi", mini / "hooks")
    assert "operations.list.pagination" in err and "page_param" in err
