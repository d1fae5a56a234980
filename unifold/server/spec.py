"""The unified spec the server serves at `/openapi.json`: `openapi/crm.yaml`.

A wheel ships it as package data of `unifold.openapi` (pyproject's package-dir); in a checkout
or an editable install it is read where it lives, next to the `unifold` package.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import unifold


def spec_text() -> str:
    try:
        return resources.files("unifold.openapi").joinpath("crm.yaml").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        checkout = Path(unifold.__file__).resolve().parents[1] / "openapi" / "crm.yaml"
        return checkout.read_text("utf-8")


@cache
def load_spec() -> dict[str, Any]:
    import yaml

    spec: dict[str, Any] = yaml.safe_load(spec_text())
    return spec
