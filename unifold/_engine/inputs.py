"""Limits on what a caller may pass, checked before anything else looks at it: string lengths,
nesting depth, key types, and (for free-form data sent as given) JSON types only.

A value past a limit is refused with a typed error naming its path; nothing is sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from unifold import _errors as errors

MAX_STRING_CHARS = 100_000  # one string anywhere in a body or a query
MAX_DEPTH = 32  # nesting of objects and lists
MAX_QUERY_CHARS = 8_000  # a remote_query's encoded length (servers refuse longer URLs)
MAX_PATH_CHARS = 120
SCALARS = (str, int, float, bool, type(None))


def _refuse(
    cls: type[errors.UnifoldValidationError], path: str, why: str, integration: str, field: str
) -> errors.UnifoldValidationError:
    if len(path) > MAX_PATH_CHARS:  # keys are caller text too: the message stays small
        path = path[:MAX_PATH_CHARS] + "..."
        field = field[:MAX_PATH_CHARS] + "..." if len(field) > MAX_PATH_CHARS else field
    return cls(
        f"{path}: {why} ({integration})", field=field, integration=integration, accepted=None
    )


def check_value(
    value: Any,
    path: str,
    integration: str,
    *,
    free_form: bool = False,
    cls: type[errors.UnifoldValidationError] = errors.InvalidFieldValueError,
    field: str | None = None,
) -> None:
    """Walk `value` (iteratively: no recursion limit to hit) and refuse the first string that is
    too long or not encodable as UTF-8 (a lone surrogate), a key that is not a string, nesting
    deeper than MAX_DEPTH, and, when `free_form`, anything JSON cannot carry as given."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        name = field or where
        if isinstance(item, str):
            if len(item) > MAX_STRING_CHARS:
                raise _refuse(
                    cls,
                    where,
                    f"{len(item)} characters; at most {MAX_STRING_CHARS} are accepted",
                    integration,
                    name,
                )
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise _refuse(
                        cls,
                        where,
                        "the text holds a lone surrogate, which is not valid UTF-8",
                        integration,
                        name,
                    ) from None
            continue
        if isinstance(item, Mapping | list | tuple):
            if depth >= MAX_DEPTH:
                raise _refuse(
                    cls, where, f"nested deeper than {MAX_DEPTH} levels", integration, name
                )
            if isinstance(item, Mapping):
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise _refuse(
                            cls,
                            where,
                            f"keys must be strings, not {type(key).__name__}",
                            integration,
                            name,
                        )
                    stack.append((key, where, depth + 1))
                    stack.append((child, f"{where}.{key}", depth + 1))
            else:
                for index, child in enumerate(item):
                    stack.append((child, f"{where}.{index}", depth + 1))
            continue
        if not free_form:
            continue  # typed fields: the model decides (dates, numbers, models)
        if isinstance(item, float) and not math.isfinite(item):
            raise _refuse(cls, where, f"{item!r} is not a JSON number", integration, name)
        if not isinstance(item, SCALARS):
            raise _refuse(
                cls,
                where,
                f"a {type(item).__name__} cannot be sent as JSON as given (use a string, "
                f"number, boolean, null, list or object)",
                integration,
                name,
            )
