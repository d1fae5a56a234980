"""Public types: what the resource methods return and take.

    from unifold.types import Project, Page, NormalizedRecord

`Project` is the unified record every integration's `Project`
(`unifold.generated.crm.<integration>.Project`) subclasses, so one annotation serves any
integration. What hook authors build on is `unifold.extend`.
"""

from __future__ import annotations

from typing import Any, TypeAlias, TypedDict

from unifold._engine.flows import Page
from unifold._engine.formats import NormalizedRecord
from unifold._models import RequestModel, ResponseModel
from unifold._options import (
    CreateOptions,
    DeleteOptions,
    GetOptions,
    ListOptions,
    OnUnsupported,
    ReadOptions,
    RequestOptions,
    ResponseFormat,
    UpdateOptions,
    WriteOptions,
)
from unifold._streams import AsyncProviderStream, ProviderStream
from unifold.generated.crm.unified import Project

__all__ = [
    "Project",
    "Page",
    "NormalizedRecord",
    "RawBody",
    "DeletedRecord",
    "ProviderStream",
    "AsyncProviderStream",
    "ResponseFormat",
    "OnUnsupported",
    "RequestOptions",
    "ReadOptions",
    "WriteOptions",
    "UpdateOptions",
    "CreateOptions",
    "GetOptions",
    "ListOptions",
    "DeleteOptions",
    "RequestModel",
    "ResponseModel",
]

RawBody: TypeAlias = dict[str, Any] | list[Any] | str | int | float | bool | None
"""`response_format="raw"`: the provider's response body as parsed JSON (or its text)."""


class DeletedRecord(TypedDict):
    """What `delete` returns (unified and normalized formats): the id that was deleted."""

    id: str


# The hook API lived here briefly; it is `unifold.extend` now. The old names still resolve,
# with a warning, so a hooks module written against them keeps importing.
_MOVED_TO_EXTEND = frozenset({"WriteContext", "ProviderCall", "RefDict", "not_implemented"})


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_EXTEND:
        import warnings

        import unifold.extend

        warnings.warn(
            f"unifold.types.{name} moved to unifold.extend.{name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(unifold.extend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
