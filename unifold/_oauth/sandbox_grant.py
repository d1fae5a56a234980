"""Sandbox accounts of OAuth integrations connect like production ones: the emulator's
authorize endpoint (which consents at once) hands out a code, exchanged at its token endpoint
for the account's tokens."""

from __future__ import annotations

import httpx

from unifold import _errors as errors
from unifold._oauth.connect import OAuthApp, authorization_url, code_from_redirect, exchange_code
from unifold._oauth.providers import OAuthProvider


def sandbox_grant(provider: OAuthProvider, transport: httpx.BaseTransport | None) -> dict[str, str]:
    """Credentials from the emulator at `provider`'s endpoints (in-process through `transport`,
    or a served one over loopback HTTP)."""
    from unifold.sandbox import SANDBOX_OAUTH_APPS

    app = OAuthApp(provider.integration, **SANDBOX_OAUTH_APPS[provider.integration])
    url, state = authorization_url(app, provider)
    try:
        with httpx.Client(transport=transport, timeout=30.0, follow_redirects=False) as http:
            consent = http.get(url)
    except httpx.RequestError as exc:
        raise errors.ProviderConnectionError(
            f"{provider.integration}: the sandbox's authorize endpoint did not answer "
            f"({type(exc).__name__})",
            status_code=502,
            integration=provider.integration,
            method="GET",
            url=provider.authorize_url,
        ) from exc
    if consent.status_code != 302 or "location" not in consent.headers:
        raise errors.OAuthError(
            f"the {provider.integration} sandbox answered {consent.status_code} to the authorize "
            "request instead of redirecting with a code (is it a unifold sandbox?)",
            integration=provider.integration,
            reason=f"authorize answered {consent.status_code}",
        )
    code = code_from_redirect(app, consent.headers["location"], state)
    return exchange_code(app, provider, code, transport)
