"""In-memory emulators of the five providers' "projects" APIs, for tests and local development.

Importing this package is cheap: the provider modules and httpx load only when used.

    from unifold.sandbox import SandboxTransport, create_provider
    provider = create_provider("capsule")
    client = httpx.Client(transport=SandboxTransport(provider), base_url="http://sandbox.test")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from unifold.sandbox._base import ReceivedRequest, SandboxProvider, SandboxResponse
from unifold.sandbox._seeds import (
    INTEGRATIONS,
    SANDBOX_CREDENTIALS,
    SANDBOX_OAUTH_APPS,
    SEED_PROJECT_IDS,
    SEED_REFERENCES,
)

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
]

_CLASSES = {
    "capsule": "CapsuleSandbox",
    "insightly": "InsightlySandbox",
    "pipeliner": "PipelinerSandbox",
    "planhat": "PlanhatSandbox",
    "teamleader": "TeamleaderSandbox",
}


def create_provider(integration: str) -> SandboxProvider:
    """A fresh, seeded provider emulator for ``integration``."""
    if integration not in _CLASSES:
        known = ", ".join(INTEGRATIONS)
        raise ValueError(f"unknown integration {integration!r}; expected one of: {known}")
    module = importlib.import_module(f"unifold.sandbox.{integration}")
    provider: SandboxProvider = getattr(module, _CLASSES[integration])()
    return provider


def __getattr__(name: str) -> Any:
    if name in ("SandboxTransport", "asgi_app"):
        from unifold.sandbox import _transport

        return getattr(_transport, name)
    raise AttributeError(f"module 'unifold.sandbox' has no attribute {name!r}")
