"""Where each OAuth integration's authorization server is, and what an OAuth account keeps.

An OAuth account's credentials are the five `OAUTH_CREDENTIALS`: the tokens, their expiry
(epoch seconds) and the app's client id and secret, so any process sharing the store can
refresh it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

OAUTH_CREDENTIALS = ("access_token", "client_id", "client_secret", "expires_at", "refresh_token")
# Refresh this many seconds before the provider's expiry, so a token never dies mid-request.
EARLY_REFRESH = 60


@dataclass(frozen=True)
class OAuthProvider:
    integration: str
    authorize_url: str
    token_url: str
    scope: str | None = None

    def at(self, origin: str) -> OAuthProvider:
        """The same endpoints at another origin (`scheme://host[:port]`): a served or
        in-process sandbox, whose API and authorization server share one origin."""
        return dataclasses.replace(
            self,
            authorize_url=origin + urlsplit(self.authorize_url).path,
            token_url=origin + urlsplit(self.token_url).path,
        )


PROVIDERS: dict[str, OAuthProvider] = {
    # https://developer.focus.teamleader.eu/docs/authentication (note the host: not api.)
    "teamleader": OAuthProvider(
        "teamleader",
        "https://focus.teamleader.eu/oauth2/authorize",
        "https://focus.teamleader.eu/oauth2/access_token",
    ),
    # https://developer.capsulecrm.com/v2/overview/authentication#oauth-2
    "capsule": OAuthProvider(
        "capsule",
        "https://api.capsulecrm.com/oauth/authorise",
        "https://api.capsulecrm.com/oauth/token",
        scope="read write",
    ),
}


def is_oauth(integration: str, credentials: Mapping[str, str]) -> bool:
    """Whether an account's credentials are an OAuth grant (rather than a personal token)."""
    return integration in PROVIDERS and "refresh_token" in credentials


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
