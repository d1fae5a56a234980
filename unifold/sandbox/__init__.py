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

    def __init__(self, read: Any) -> None:
        self._read = read

    def __getitem__(self, integration: str) -> Any:
        if integration not in _integrations():
            raise KeyError(integration)
        return self._read(sandbox_class(integration))

    def __iter__(self) -> Iterator[str]:
        return iter(_integrations())

    def __len__(self) -> int:
        return len(_integrations())


SANDBOX_CREDENTIALS: Mapping[str, dict[str, str]] = _SeedTable(lambda cls: cls.credentials)
SEED_PROJECT_IDS: Mapping[str, tuple[str, ...]] = _SeedTable(lambda cls: cls.seed_project_ids)
SEED_REFERENCES: Mapping[str, dict[str, tuple[str, ...]]] = _SeedTable(
    lambda cls: cls.seed_references
)


def _oauth_app(cls: type[SandboxProvider]) -> dict[str, str]:
    from unifold.sandbox._oauth import OAuthSandbox, sandbox_oauth_app

    if not issubclass(cls, OAuthSandbox):
        raise KeyError(cls.integration)
    return sandbox_oauth_app(cls.integration)


SANDBOX_OAUTH_APPS: Mapping[str, dict[str, str]] = _SeedTable(_oauth_app)


def __getattr__(name: str) -> Any:
    if name == "INTEGRATIONS":
        return _integrations()
    if name in ("SandboxTransport", "asgi_app"):
        from unifold.sandbox import _transport

        return getattr(_transport, name)
    raise AttributeError(f"module 'unifold.sandbox' has no attribute {name!r}")
