"""OAuth 2 for the integrations that use it (Teamleader; Capsule next to personal tokens).

providers.py  where each authorization server is; what an OAuth account keeps
tokens.py     token endpoint requests (code exchange, refresh) and their answers
connect.py    the connect flow: OAuthApp, authorize URL with state, code exchange
session.py    an account's Authorization header, refreshed exactly once when due
"""

from unifold._oauth.connect import OAuthApp
from unifold._oauth.providers import OAUTH_CREDENTIALS, PROVIDERS, OAuthProvider, is_oauth

__all__ = ["OAUTH_CREDENTIALS", "PROVIDERS", "OAuthApp", "OAuthProvider", "is_oauth"]
