"""What an integration's hand-written hooks (`unifold/hooks/<name>.py`) build on: the one public
surface for them, so a hooks module imports nothing private.

A hooks class subclasses its generated `<Name>HooksBase` (from `unifold.generated.crm.<name>`);
read hooks return unified values (`RefDict` for a reference), write hooks put a value into
`ctx.body` or add provider calls with `ctx.call(...)`, and check hooks raise
`InvalidFieldValueError` naming the field. `make generate` writes a skeleton whose methods are
marked `@not_implemented` until you implement them.

Provider records and bodies are parsed JSON, so their objects are dicts: test them with
`isinstance(x, dict)` (a C check), not the `Mapping` ABC (a Python-level call each time, a
measurable part of a read).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from unifold._engine.context import ProviderCall, WriteContext, not_implemented
from unifold._engine.transforms import READ
from unifold._engine.types import RefDict
from unifold._errors import InvalidFieldValueError
from unifold._matrix import ReadTransform
from unifold.hooks._common import ids, int_id, ref

__all__ = [
    "InvalidFieldValueError",
    "ProviderCall",
    "READ_TRANSFORMS",
    "RefDict",
    "WriteContext",
    "ids",
    "int_id",
    "not_implemented",
    "ref",
]

READ_TRANSFORMS: Mapping[ReadTransform, Callable[[Any], Any]] = READ
"""The matrix's read transforms by name (`READ_TRANSFORMS["uri_id"](value)`), for hooks that
read a value the way a plain matrix field would."""
