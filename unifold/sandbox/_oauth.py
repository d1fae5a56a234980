"""The OAuth 2 authorization server of an emulator (Teamleader, Capsule): an authorize endpoint
that consents at once, and a token endpoint with single-use codes, expiring access tokens and
single-use, rotating refresh tokens (RFC 6749 §4.1 and §6).

A provider class mixes in `OAuthSandbox`, names its endpoints and token lifetime in
`oauth_settings`, and formats token errors in `_oauth_error`. Its `_authorized` accepts a
token when `self.oauth_token_valid(token)`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from unifold.sandbox._base import SandboxResponse
from unifold.sandbox._common import json_response

CODE_LIFETIME = 600  # seconds


def sandbox_oauth_app(integration: str) -> dict[str, str]:
    """The OAuth app registered with an emulator: sandbox accounts connect through it
    (authorize, code exchange, refresh), like production ones."""
    return {
        "client_id": f"sandbox-{integration}-client",
        "client_secret": f"sandbox-{integration}-client-secret",
        "redirect_uri": "http://127.0.0.1/unifold/oauth/callback",
    }


@dataclass(frozen=True)
class OAuthSettings:
    authorize_path: str
    token_path: str
    access_lifetime: int  # seconds, the `expires_in` of every access token
    extra: tuple[tuple[str, str], ...] = ()  # more fields of a token response


class OAuthSandbox:
    """Mixin: the token state lives in the emulator, next to its records."""

    integration: ClassVar[str]
    oauth_settings: ClassVar[OAuthSettings]
    clock: Callable[[], float]

    def _oauth_state(self) -> _Grants:
        grants: _Grants | None = self.__dict__.get("_grants")
        if grants is None:
            grants = self.__dict__["_grants"] = _Grants()
        return grants

    # -- what tests and users call ----------------------------------------------------------

    def expire_access_tokens(self) -> None:
        """Make every access token issued so far invalid (as if an hour had passed)."""
        with self._oauth_state().lock:
            self._oauth_state().access.clear()

    def revoke_refresh_tokens(self) -> None:
        """Make every refresh token invalid (as if the user had uninstalled the integration)."""
        with self._oauth_state().lock:
            self._oauth_state().refresh.clear()

    def adopt_grant(self, access_token: str, refresh_token: str, expires_at: float) -> None:
        """Honour tokens another emulator instance issued for the same account (each client has
        its own in-process emulator; the account's grant outlives it)."""
        state = self._oauth_state()
        with state.lock:
            if refresh_token in state.used:
                return  # already rotated here: stays invalid
            state.access.setdefault(access_token, expires_at)
            state.refresh.add(refresh_token)

    def oauth_token_valid(self, token: str | None) -> bool:
        state = self._oauth_state()
        with state.lock:
            expires = state.access.get(token or "")
            return expires is not None and self.clock() < expires

    # -- the endpoints ----------------------------------------------------------------------

    def _answer_oauth(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[SandboxResponse, Any] | None:
        """The answer to an OAuth request and what `.received` records of it (the grant type,
        never a secret); None for any other request."""
        settings = self.oauth_settings
        if path == settings.authorize_path and method == "GET":
            return self._authorize(dict(query)), {"response_type": dict(query).get("response_type")}
        if path == settings.token_path and method == "POST":
            form = _form(headers, body)
            return self._token(form), {"grant_type": form.get("grant_type")}
        return None

    def _authorize(self, query: dict[str, str]) -> SandboxResponse:
        app = sandbox_oauth_app(self.integration)
        redirect = query.get("redirect_uri", "")
        if query.get("client_id") != app["client_id"] or not redirect.startswith("http"):
            return self._oauth_error(400, "invalid_client", "Unknown client or redirect URI")
        if query.get("response_type") != "code":
            return self._oauth_error(400, "unsupported_response_type", "Use response_type=code")
        code = secrets.token_urlsafe(24)
        state = self._oauth_state()
        with state.lock:
            state.codes[code] = (redirect, self.clock() + CODE_LIFETIME)
        answer = {"code": code} | ({"state": query["state"]} if "state" in query else {})
        sep = "&" if urlsplit(redirect).query else "?"
        return SandboxResponse(302, [("Location", redirect + sep + urlencode(answer))], b"")

    def _token(self, form: dict[str, str]) -> SandboxResponse:
        app = sandbox_oauth_app(self.integration)
        if not (
            secrets.compare_digest(form.get("client_id", ""), app["client_id"])
            and secrets.compare_digest(form.get("client_secret", ""), app["client_secret"])
        ):
            return self._oauth_error(401, "invalid_client", "Client authentication failed")
        state = self._oauth_state()
        grant = form.get("grant_type")
        with state.lock:
            if grant == "authorization_code":
                issued = state.codes.pop(form.get("code", ""), None)  # single use
                if issued is None or self.clock() > issued[1]:
                    return self._oauth_error(400, "invalid_grant", "Authorization code is invalid")
                if form.get("redirect_uri") != issued[0]:
                    return self._oauth_error(400, "invalid_grant", "Redirect URI does not match")
            elif grant == "refresh_token":
                token = form.get("refresh_token", "")
                if token not in state.refresh:
                    return self._oauth_error(400, "invalid_grant", "Token has been revoked")
                state.refresh.discard(token)  # single use: it rotates
                state.used.add(token)
            else:
                return self._oauth_error(400, "unsupported_grant_type", "Unsupported grant type")
            access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            lifetime = self.oauth_settings.access_lifetime
            state.access[access] = self.clock() + lifetime
            state.refresh.add(refresh)
        payload: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "access_token": access,
            "refresh_token": refresh,
        }
        payload.update(self.oauth_settings.extra)
        return json_response(200, payload, [("Cache-Control", "no-store")])

    def _oauth_error(self, status: int, error: str, description: str) -> SandboxResponse:
        """RFC 6749 §5.2; a provider whose body differs overrides this."""
        return json_response(status, {"error": error, "error_description": description})


class _Grants:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: dict[str, tuple[str, float]] = {}
        self.access: dict[str, float] = {}
        self.refresh: set[str] = set()
        self.used: set[str] = set()


def _form(headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    """The token request's parameters: form-encoded (RFC 6749) or, as Teamleader also takes,
    JSON."""
    text = body.decode("utf-8", "replace")
    if headers.get("content-type", "").startswith("application/json"):
        import json

        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))
