"""Token endpoint requests (RFC 6749 §4.1.3 code exchange, §6 refresh) and their answers.

Authlib builds the requests (`authlib.oauth2.rfc6749.parameters`); httpx sends them. Not
Authlib's httpx client: in Authlib 1.9 that integration targets httpx2, warns on every import
under the httpx unifold uses, and its httpx fallback is announced for removal.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_token_request

from unifold import _errors as errors
from unifold._oauth.providers import OAuthProvider

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_LIFETIME = 3600  # when a token answer has no usable `expires_in`


class TokenRejected(Exception):
    """The authorization server refused the grant (400/401): the user must connect again.
    `reason` is the server's error code and description, bounded, never a secret."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reason(body: Any, secrets: tuple[str, ...]) -> str:
    """The server's own words: RFC 6749 §5.2 `error`/`error_description`, Teamleader's
    `errors[0]` (`meta.hint`, `title`), or a `message`."""
    parts: list[str] = []
    if isinstance(body, Mapping):
        for key in ("error", "error_description", "message"):
            if isinstance(body.get(key), str):
                parts.append(body[key])
        listed = body.get("errors")
        if isinstance(listed, list) and listed and isinstance(listed[0], Mapping):
            first = listed[0]
            meta = first.get("meta")
            if isinstance(meta, Mapping) and isinstance(meta.get("hint"), str):
                parts.append(meta["hint"])
            if isinstance(first.get("title"), str):
                parts.append(first["title"])
    text = ": ".join(parts) or "no reason given"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "**********")
    return text[:200]


def request_token(
    provider: OAuthProvider,
    client_id: str,
    client_secret: str,
    grant_type: str,
    transport: httpx.BaseTransport | None = None,
    **params: str,
) -> dict[str, Any]:
    """POST one grant to the token endpoint (client credentials in the body,
    `client_secret_post`); the token answer, or TokenRejected / a typed ProviderError."""
    body = prepare_token_request(
        grant_type, client_id=client_id, client_secret=client_secret, **params
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    secrets = (client_secret, *params.values())
    label = f"the OAuth token request ({grant_type})"
    where: dict[str, Any] = {
        "integration": provider.integration,
        "method": "POST",
        "url": provider.token_url,
    }
    try:
        with httpx.Client(transport=transport, timeout=TIMEOUT, follow_redirects=False) as http:
            response = http.post(provider.token_url, content=body, headers=headers)
    except httpx.RequestError as exc:
        raise errors.ProviderConnectionError(
            f"{provider.integration}: no answer to {label} ({type(exc).__name__})",
            status_code=502,
            **where,
        ) from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    status = response.status_code
    if status in (400, 401, 403):
        raise TokenRejected(_reason(answer, secrets))
    if status == 429:
        raise errors.ProviderRateLimitError(
            f"{provider.integration} answered 429 to {label}", status_code=429, **where
        )
    if status >= 300 or not isinstance(answer, Mapping) or "error" in answer:
        cls = errors.ProviderServerError if status >= 500 else errors.ProviderError
        raise cls(
            f"{provider.integration} answered {status} to {label}: {_reason(answer, secrets)}",
            status_code=status if status >= 300 else 502,
            **where,
        )
    if not isinstance(answer.get("access_token"), str) or not answer["access_token"]:
        raise errors.ProviderError(
            f"{provider.integration} answered {label} without an access token",
            status_code=502,
            **where,
        )
    return dict(answer)


def credentials_from(
    answer: Mapping[str, Any], client_id: str, client_secret: str, previous_refresh: str = ""
) -> dict[str, str]:
    """An OAuth account's credentials from a token answer. A server that does not rotate
    (no `refresh_token` in the answer) keeps the previous refresh token valid."""
    lifetime = answer.get("expires_in")
    if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
        lifetime = DEFAULT_LIFETIME
    refresh = answer.get("refresh_token")
    return {
        "access_token": str(answer["access_token"]),
        "refresh_token": refresh if isinstance(refresh, str) and refresh else previous_refresh,
        "expires_at": str(int(time.time() + lifetime)),
        "client_id": client_id,
        "client_secret": client_secret,
    }


def refresh(
    provider: OAuthProvider,
    credentials: Mapping[str, str],
    transport: httpx.BaseTransport | None = None,
) -> dict[str, str]:
    """New credentials for a refresh token (RFC 6749 §6)."""
    answer = request_token(
        provider,
        credentials["client_id"],
        credentials["client_secret"],
        "refresh_token",
        transport,
        refresh_token=credentials["refresh_token"],
    )
    return credentials_from(
        answer, credentials["client_id"], credentials["client_secret"], credentials["refresh_token"]
    )
