from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINI = Path(__file__).parent / "fixtures" / "mini"


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
