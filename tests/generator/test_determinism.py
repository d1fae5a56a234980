"""Same inputs, same bytes; `check` catches stale output and hand edits."""

from __future__ import annotations

import shutil
from pathlib import Path

from codegen.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _generate(out: Path, spec_dir: Path = ROOT / "openapi") -> int:
    return main(
        [
            "generate",
            "--spec-dir",
            str(spec_dir),
            "--out",
            str(out),
            "--hooks-dir",
            str(ROOT / "unifold/hooks"),
        ]
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_generation_is_deterministic_and_matches_the_committed_tree(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert _generate(first) == 0
    assert _generate(second) == 0
    assert _files(first) == _files(second)
    committed = {k: v for k, v in _files(ROOT / "generated").items() if "__pycache__" not in k}
    assert _files(first) == committed


def test_check_passes_on_the_committed_tree() -> None:
    assert main(["check"]) == 0


def test_check_names_a_hand_edited_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "generated"
    shutil.copytree(ROOT / "generated", out, ignore=shutil.ignore_patterns("__pycache__"))
    target = out / "crm" / "capsule.py"
    target.write_text(target.read_text() + "\n# a hand edit\n")
    assert main(["check", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "hand-edited: crm/capsule.py" in err
    assert "make generate" in err


def test_check_names_missing_and_unexpected_files(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "generated"
    shutil.copytree(ROOT / "generated", out, ignore=shutil.ignore_patterns("__pycache__"))
    (out / "crm" / "planhat.py").unlink()
    (out / "crm" / "extra.py").write_text("x = 1\n")
    assert main(["check", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "missing:     crm/planhat.py" in err
    assert "unexpected:  crm/extra.py" in err
