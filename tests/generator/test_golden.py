"""Golden snapshot: the small fixture renders to exactly the committed files.

Regenerate the snapshot after an intended generator change with
`UPDATE_GOLDEN=1 .venv/bin/pytest tests/generator/test_golden.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

from codegen.inputs import load_inputs
from codegen.render import render_all

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "mini"
MINI = Path(__file__).parent / "fixtures" / "mini"


def test_mini_fixture_matches_golden_snapshot() -> None:
    outputs = render_all(load_inputs(ROOT, MINI / "openapi", MINI / "hooks"))
    if os.environ.get("UPDATE_GOLDEN"):
        for rel, text in outputs.items():
            target = GOLDEN / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    expected = {
        p.relative_to(GOLDEN).as_posix(): p.read_text() for p in GOLDEN.rglob("*") if p.is_file()
    }
    assert sorted(outputs) == sorted(expected)
    for rel, text in outputs.items():
        assert text == expected[rel], f"{rel} differs from the golden snapshot"


def test_golden_models_are_typed_and_narrowed() -> None:
    text = (GOLDEN / "crm/acme.py").read_text()
    assert "name: str\n" in text  # required on update
    assert "status: Literal['open', 'closed'] | None = None" in text.replace('"', "'")
    assert "def write_owner(self, value: OwnerRef | None, ctx: WriteContext) -> None:" in text
    assert "@generated" in text.splitlines()[0]
