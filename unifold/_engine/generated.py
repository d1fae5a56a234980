"""What the runtime needs from a generated integration module (`unifold.generated.crm.<name>`).

The generated registry states, for mypy only, that every generated module is a
`GeneratedIntegration`, so `make typecheck` checks the contract between generator and runtime;
`registry.load` returns modules typed as this protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from unifold._matrix import Matrix


class GeneratedIntegration(Protocol):
    @property
    def INTEGRATION(self) -> str: ...

    @property
    def DISPLAY_NAME(self) -> str: ...

    @property
    def SPEC(self) -> Matrix:
        """The matrix, as typed constructor calls."""
        ...

    # `hooks` is the integration's own `<Name>HooksBase`, which this protocol cannot name.
    def read_project(self, record: Mapping[str, Any], hooks: Any) -> dict[str, Any]: ...
