"""Bearer-token authentication: every request names its tenant by its API token."""

from __future__ import annotations

from typing import Any, Protocol

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from unifold import _errors as errors
from unifold.server.responses import error_body, store_error_response


class TokenVerifier(Protocol):
    def verify_token(self, plaintext: str) -> Any: ...


class BearerAuth:
    """ASGI middleware: no token, a malformed header, an unknown or a revoked token is a 401
    in Truto's error body, before any routing (so unknown paths reveal nothing either).
    The tenant of a good token is `request.state.tenant`."""

    def __init__(self, app: ASGIApp, tokens: TokenVerifier) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, credential = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and credential.strip():
                    token = credential.strip()
                break
        # Inline, like the library's own account reads: one indexed lookup costs less than a
        # hop to a worker thread (BENCHMARKS.md, server overhead).
        try:
            record = self.tokens.verify_token(token) if token else None
        except errors.StoreError as exc:
            response = store_error_response(exc, scope["method"], scope["path"])
            await response(scope, receive, send)
            return
        if record is None:
            message = (
                "missing API token: send Authorization: Bearer <token>"
                if token is None
                else "invalid or revoked API token"
            )
            rejection = JSONResponse(
                error_body(401, message), status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
            await rejection(scope, receive, send)
            return
        scope.setdefault("state", {})["tenant"] = record.tenant
        await self.app(scope, receive, send)
