"""What a write hook sees: the provider body being built, prefetched reads, extra calls."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from unifold._errors import InvalidFieldValueError, ProviderResponseError

HookT = TypeVar("HookT", bound=Callable[..., Any])


def not_implemented(hook: HookT) -> HookT:
    """Marks a generated hook skeleton: an integration with one is refused before any request.
    Remove it together with the `raise NotImplementedError` when you implement the hook."""
    hook.__unifold_not_implemented__ = True  # type: ignore[attr-defined]
    return hook


@dataclass(frozen=True)
class ProviderCall:
    """One extra provider request a write needs besides the main one."""

    label: str
    method: str
    path: str
    json: Any = None


@dataclass
class WriteContext:
    integration: str
    operation: str
    resource_id: str | None
    body: dict[str, Any]
    fetched: dict[str, Any] = field(default_factory=dict)
    calls: list[ProviderCall] = field(default_factory=list)
    # Fields several unified fields feed (e.g. Teamleader's budget) are handled once.
    done: set[str] = field(default_factory=set)
    given: dict[str, Any] = field(default_factory=dict)
    # Deep-merged into the provider's wire body as is, after every mapped field.
    remote_data: dict[str, Any] | None = None
    # After a create: (new id, stored record) -> the further calls the write needs.
    after: list[Callable[[str, Mapping[str, Any]], list[ProviderCall]]] = field(
        default_factory=list
    )

    @property
    def current(self) -> dict[str, Any]:
        """The stored record before the write (fetch `current`)."""
        if "current" not in self.fetched:
            raise RuntimeError(f"{self.integration}: hook needs the `current` fetch in the matrix")
        record = self.fetched["current"]
        if not isinstance(record, dict):  # the provider's answer, not our matrix, is at fault
            raise ProviderResponseError(
                f"{self.integration} answered the read of the current project without a "
                f"project record; nothing was written",
                integration=self.integration,
                raw_response=record,
            )
        return record

    def call(self, label: str, method: str, path: str, json: Any = None) -> None:
        self.calls.append(ProviderCall(label, method, path, json))

    def invalid(self, field: str, message: str, accepted: Any = None) -> NoReturn:
        raise InvalidFieldValueError(
            f"{field}: {message} ({self.integration} {self.operation})",
            field=field,
            integration=self.integration,
            accepted=accepted,
        )
