"""unifold: one typed, unified CRM API over Capsule, Insightly, Pipeliner, Planhat and Teamleader.

    from unifold import Unifold
    uf = Unifold(store=":memory:")
    acct = uf.accounts.create("teamleader", environment="sandbox")
    uf.crm.projects.update(project_id, {"name": "Relaunch"}, integrated_account_id=acct.id)

Names are imported lazily so `import unifold` stays cheap; integrations load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from unifold._errors import __all__ as _ERRORS  # stdlib-only module: cheap to import

__version__ = "0.1.0"

_EXPORTS = {
    "Unifold": "unifold._client",
    "AsyncUnifold": "unifold._client",
    "ProviderStream": "unifold._client",
    "AsyncProviderStream": "unifold._client",
    "IntegratedAccount": "unifold._accounts",
    "Credentials": "unifold._accounts",
    "AccountStore": "unifold._accounts",
    "ApiToken": "unifold._accounts",
    "open_store": "unifold._accounts",
    "OAuthApp": "unifold._oauth",
    "ProjectFields": "unifold._engine.discovery",
    "ProxyResponse": "unifold._proxy",
    "CustomFieldDefinition": "unifold._engine.discovery",
}
_EXPORTS.update({name: "unifold._errors" for name in _ERRORS})

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from unifold._accounts import AccountStore as AccountStore
    from unifold._accounts import ApiToken as ApiToken
    from unifold._accounts import Credentials as Credentials
    from unifold._accounts import IntegratedAccount as IntegratedAccount
    from unifold._accounts import open_store as open_store
    from unifold._client import AsyncProviderStream as AsyncProviderStream
    from unifold._client import AsyncUnifold as AsyncUnifold
    from unifold._client import ProviderStream as ProviderStream
    from unifold._client import Unifold as Unifold
    from unifold._engine.discovery import CustomFieldDefinition as CustomFieldDefinition
    from unifold._engine.discovery import ProjectFields as ProjectFields
    from unifold._errors import *  # noqa: F403
    from unifold._oauth import OAuthApp as OAuthApp
    from unifold._proxy import ProxyResponse as ProxyResponse


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'unifold' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
