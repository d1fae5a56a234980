"""What the runtime needs from a generated integration module (`unifold.generated.crm.<name>`).

The generated registry states, for mypy only, that every generated module is a
`GeneratedIntegration`, so `make typecheck` checks the contract between generator and runtime;
`registry.load` returns modules typed as this protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from unifold._engine.context import WriteContext
from unifold._matrix import Matrix

# `hooks` is the integration's own `<Name>HooksBase`, which these types cannot name.
ReadFunction = Callable[[Mapping[str, Any], Any], dict[str, Any]]
FieldReadFunction = Callable[[Mapping[str, Any], Any], Any]
WriteFunction = Callable[[Any, WriteContext, Any], None]  # (body model, ctx, hooks)
CheckFunction = Callable[[Any, Any], None]  # (body model, hooks)


class GeneratedIntegration(Protocol):
    @property
    def INTEGRATION(self) -> str: ...

    @property
    def DISPLAY_NAME(self) -> str: ...

    @property
    def SPEC(self) -> Matrix:
        """The matrix, as typed constructor calls."""
        ...

    def read_project(self, record: Mapping[str, Any], hooks: Any) -> dict[str, Any]: ...

    @property
    def WRITERS(self) -> Mapping[str, WriteFunction]:
        """Per operation with a body: its generated write function (`write_project_update`)."""
        ...

    @property
    def CHECKS(self) -> Mapping[str, CheckFunction]:
        """Per operation that names `checks`: its generated check function."""
        ...
