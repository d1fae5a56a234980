"""What the generated read functions (`unifold.generated.crm.<integration>.read_project`) call:
path lookups, references, enum maps and the read transforms, by name.

The generator turns each matrix `record` entry into one expression over these, so a read is one
plain function call per record (no matrix interpretation at run time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from unifold._engine.connector import get_path
from unifold._engine.transforms import READ
from unifold._engine.types import RefDict
from unifold._matrix import ReadTransform

__all__ = ["get2", "get_path", "ref", "ref_in", "refs", "enum_value", "TRANSFORMS"]

# The read transforms by the matrix's name (`transform: datetime`); the generator checks that
# every name a matrix uses is here.
TRANSFORMS: Mapping[ReadTransform, Callable[[Any], Any]] = READ


# Records come from JSON, so objects are dicts: `isinstance(x, dict)` is a C check, where the
# `Mapping` ABC costs a Python-level call per field (profiled: a tenth of a read).


def get2(record: Mapping[str, Any], outer: str, inner: str) -> Any:
    """`record[outer][inner]`, None where either is missing or not an object."""
    child = record.get(outer)
    return child.get(inner) if isinstance(child, dict) else None


def ref(ident: Any, name: Any, convert: Callable[[Any], Any]) -> RefDict | None:
    """A unified reference `{id, name}`; None without an id."""
    if ident is None or ident == "":
        return None
    return {"id": convert(ident), "name": name}


def ref_in(child: Any, id_key: str, name_key: str | None, convert: Callable[[Any], Any]) -> Any:
    """`ref` over one provider object (`owner: {id, name}`), looked up once."""
    if not isinstance(child, dict):
        return None
    ident = child.get(id_key)
    if ident is None or ident == "":
        return None
    return {"id": convert(ident), "name": child.get(name_key) if name_key else None}


def refs(items: Any, read: Callable[[Mapping[str, Any]], RefDict | None]) -> list[RefDict] | None:
    """Each item of a provider list as a reference (items without an id are left out)."""
    if not isinstance(items, list):
        return None
    out = []
    for item in items:
        if isinstance(item, dict):
            value = read(item)
            if value:
                out.append(value)
    return out


def enum_value(value: Any, table: Mapping[str, str]) -> Any:
    """A provider value as the unified one; unknown values pass through (reads are lenient)."""
    return None if value is None else table.get(str(value), str(value))
