"""In-memory emulators of the providers' "projects" APIs, for tests and local development.

One module per integration (`unifold.sandbox.<name>`, named by the generated registry) holds its
emulator (`SANDBOX`, a `SandboxProvider` subclass) and its seed data; the tables here are read
from them.

Importing this package is cheap: the provider modules and httpx load only when used.

    from unifold.sandbox import SandboxTransport, create_provider
    provider = create_provider("capsule")
    client = httpx.Client(transport=SandboxTransport(provider), base_url="http://sandbox.test")
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from unifold.sandbox._base import ReceivedRequest, SandboxProvider, SandboxResponse

if TYPE_CHECKING:
    from unifold.sandbox._transport import SandboxTransport, asgi_app

__all__ = [
    "INTEGRATIONS",
    "SANDBOX_CREDENTIALS",
    "SANDBOX_OAUTH_APPS",
    "SEED_PROJECT_IDS",
    "SEED_REFERENCES",
    "ReceivedRequest",
    "SandboxProvider",
    "SandboxResponse",
    "SandboxTransport",
    "asgi_app",
    "create_provider",
    "sandbox_class",
]


def _integrations() -> tuple[str, ...]:
    from unifold.generated.crm.registry import INTEGRATIONS as REGISTRY

    return tuple(REGISTRY)


def sandbox_class(integration: str) -> type[SandboxProvider]:
    """The emulator of one integration: `SANDBOX` in its module (`unifold.sandbox.<name>`,
    named by the generated registry)."""
    from unifold.generated.crm.registry import INTEGRATIONS as REGISTRY

    info = REGISTRY.get(integration)
    if info is None:
        raise ValueError(
            f"unknown integration {integration!r}; expected one of: {', '.join(REGISTRY)}"
        )
    module = importlib.import_module(info.sandbox_module)
    cls: type[SandboxProvider] | None = getattr(module, "SANDBOX", None)
    if cls is None:
        raise ValueError(
            f"{info.sandbox_module} has no SANDBOX (its SandboxProvider subclass); every "
            f"integration's emulator module declares one"
        )
    return cls


def create_provider(integration: str) -> SandboxProvider:
    """A fresh, seeded provider emulator for ``integration``."""
    return sandbox_class(integration)()


class _SeedTable(Mapping[str, Any]):
    """integration -> one seed attribute of its emulator, read on first use (the registry
    names the integrations; no hand-kept list)."""

    def __init__(self, read: Any, only: Any = None) -> None:
        self._read = read
        self._only = only  # which emulators have the attribute (all when None)

    def _names(self) -> list[str]:
        names = _integrations()
        if self._only is None:
            return list(names)
        return [name for name in names if self._only(sandbox_class(name))]

    def __getitem__(self, integration: str) -> Any:
        if integration not in self._names():
            raise KeyError(integration)
        return self._read(sandbox_class(integration))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


SANDBOX_CREDENTIALS: Mapping[str, dict[str, str]] = _SeedTable(lambda cls: cls.credentials)
SEED_PROJECT_IDS: Mapping[str, tuple[str, ...]] = _SeedTable(lambda cls: cls.seed_project_ids)
SEED_REFERENCES: Mapping[str, dict[str, tuple[str, ...]]] = _SeedTable(
    lambda cls: cls.seed_references
)


def _has_oauth(cls: type[SandboxProvider]) -> bool:
    from unifold.sandbox._oauth import OAuthSandbox

    return issubclass(cls, OAuthSandbox)


def _oauth_app(cls: type[SandboxProvider]) -> dict[str, str]:
    from unifold.sandbox._oauth import sandbox_oauth_app

    return sandbox_oauth_app(cls.integration)


SANDBOX_OAUTH_APPS: Mapping[str, dict[str, str]] = _SeedTable(_oauth_app, only=_has_oauth)


def __getattr__(name: str) -> Any:
    if name == "INTEGRATIONS":
        return _integrations()
    if name in ("SandboxTransport", "asgi_app"):
        from unifold.sandbox import _transport

        return getattr(_transport, name)
    raise AttributeError(f"module 'unifold.sandbox' has no attribute {name!r}")
