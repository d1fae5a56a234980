"""The connect flow (RFC 6749 §4.1): send the user to the provider's authorize URL with a
state value; the provider sends them back to your redirect URI with a code; exchange the code
for tokens and keep them as an account."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri

from unifold import _errors as errors
from unifold._oauth.providers import PROVIDERS, OAuthProvider
from unifold._oauth.tokens import TokenRejected, credentials_from, request_token

_PRINTABLE = re.compile(r"[\x21-\x7e]{1,2000}")


@dataclass(frozen=True)
class OAuthApp:
    """Your OAuth app at a provider (registered in Teamleader's Marketplace, or for Capsule at
    developer.capsulecrm.com): its client id and secret and the redirect URI you registered
    there. The secret never appears in a repr."""

    integration: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    scope: str | None = None  # default: what the integration needs (Capsule: "read write")

    def __post_init__(self) -> None:
        if self.integration not in PROVIDERS:
            raise errors.AccountConfigError(
                f"{self.integration!r} has no OAuth connect flow; these do: {sorted(PROVIDERS)}",
                field="integration",
                accepted=sorted(PROVIDERS),
            )
        for name in ("client_id", "client_secret"):
            if not isinstance(getattr(self, name), str) or not _PRINTABLE.fullmatch(
                getattr(self, name)
            ):
                raise errors.AccountConfigError(
                    f"the {self.integration} OAuth app's {name} must be a non-empty string of "
                    "printable ASCII",
                    field=name,
                    integration=self.integration,
                )
        parts = urlsplit(self.redirect_uri) if isinstance(self.redirect_uri, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise errors.AccountConfigError(
                f"the {self.integration} OAuth app's redirect_uri must be the absolute http(s) "
                "URL registered with the provider",
                field="redirect_uri",
                integration=self.integration,
            )


def authorization_url(
    app: OAuthApp, provider: OAuthProvider, state: str | None = None
) -> tuple[str, str]:
    """The URL to send the user to, and the state value to keep (in their session) and check
    when they come back."""
    state = state or generate_token(32)
    url = prepare_grant_uri(
        provider.authorize_url,
        client_id=app.client_id,
        response_type="code",
        redirect_uri=app.redirect_uri,
        scope=app.scope or provider.scope,
        state=state,
    )
    return str(url), state


def code_from_redirect(app: OAuthApp, redirect_url: str, expected_state: str) -> str:
    """The code in the URL the provider redirected the user to, after checking its state."""
    params = dict(parse_qsl(urlsplit(redirect_url).query))
    return check_callback(
        app, params.get("code"), params.get("state"), expected_state, params.get("error")
    )


def check_callback(
    app: OAuthApp,
    code: Any,
    state: Any,
    expected_state: Any,
    error: Any = None,
) -> str:
    """The code, once the callback's state is the one handed out (RFC 6749 §10.12, CSRF)."""
    if error:
        raise errors.OAuthError(
            f"{app.integration} did not authorize the app: {str(error)[:100]}",
            integration=app.integration,
            reason=str(error)[:100],
        )
    if not (
        isinstance(state, str)
        and isinstance(expected_state, str)
        and expected_state
        and hmac.compare_digest(state.encode(), expected_state.encode())
    ):
        raise errors.OAuthError(
            f"the {app.integration} OAuth callback's state is not the one this connect flow "
            "handed out (a forged or stale callback); start the connect flow again",
            integration=app.integration,
            reason="state mismatch",
        )
    if not isinstance(code, str) or not _PRINTABLE.fullmatch(code):
        raise errors.OAuthError(
            f"the {app.integration} OAuth callback carries no authorization code",
            integration=app.integration,
            reason="no code",
        )
    return code


def exchange_code(
    app: OAuthApp,
    provider: OAuthProvider,
    code: str,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, str]:
    """Credentials for an authorization code (single use: codes expire within minutes)."""
    try:
        answer = request_token(
            provider,
            app.client_id,
            app.client_secret,
            "authorization_code",
            transport,
            code=code,
            redirect_uri=app.redirect_uri,
        )
    except TokenRejected as exc:
        raise errors.OAuthError(
            f"{app.integration} refused the authorization code ({exc.reason}); start the "
            "connect flow again",
            integration=app.integration,
            reason=exc.reason,
        ) from None
    if not isinstance(answer.get("refresh_token"), str) or not answer["refresh_token"]:
        raise errors.OAuthError(
            f"{app.integration} issued no refresh token, so the account could not stay "
            "connected; check the app's grant type",
            integration=app.integration,
            reason="no refresh token",
        )
    return credentials_from(answer, app.client_id, app.client_secret)
