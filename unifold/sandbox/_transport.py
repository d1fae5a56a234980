"""httpx transport and ASGI app that hand requests straight to a sandbox provider."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

import httpx

from unifold.sandbox._base import SandboxProvider, SandboxResponse

__all__ = ["SandboxTransport", "asgi_app"]

_CHUNK = 64 * 1024
STATS_PATH = "/_sandbox/stats"  # served emulators only: {"rate_limited": n}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _request_headers(request: httpx.Request) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in request.headers.multi_items():
        key = key.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    # Lets the provider build absolute URLs (Link, Location, relation URIs) with the right scheme.
    headers.setdefault("x-forwarded-proto", request.url.scheme)
    headers.setdefault("host", request.url.netloc.decode("ascii"))
    return headers


class SandboxTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Calls ``provider.handle`` directly: no sockets, no event loop needed."""

    def __init__(self, provider: SandboxProvider) -> None:
        self.provider = provider

    def _call(self, request: httpx.Request, body: bytes) -> httpx.Response:
        result = self.provider.handle(
            request.method,
            request.url.path,
            list(request.url.params.multi_items()),
            _request_headers(request),
            body,
        )
        return httpx.Response(
            result.status, headers=result.headers, content=result.body, request=request
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._call(request, request.read())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._call(request, await request.aread())


def asgi_app(provider: SandboxProvider) -> ASGIApp:
    """A plain ASGI 3 app serving ``provider`` (http scope; lifespan is accepted)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            raise RuntimeError(f"unsupported ASGI scope type {scope['type']!r}")
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        headers: dict[str, str] = {}
        for raw_key, raw_value in scope.get("headers", []):
            key, value = raw_key.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        headers.setdefault("x-forwarded-proto", scope.get("scheme", "http"))
        server = scope.get("server")
        if "host" not in headers and server:
            headers["host"] = f"{server[0]}:{server[1]}"
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        result: SandboxResponse
        if scope["path"] == STATS_PATH:
            # Not the provider's: what the emulator saw, for tests of a served emulator.
            stats = json.dumps(
                {"rate_limited": provider.rate_limited, "peak": provider.peak_in_window}
            ).encode()
            result = SandboxResponse(200, [("Content-Type", "application/json")], stats)
        else:
            result = provider.handle(
                scope["method"], scope["path"], query, headers, b"".join(chunks)
            )
        await send(
            {
                "type": "http.response.start",
                "status": result.status,
                "headers": [
                    (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in result.headers
                ],
            }
        )
        body = result.body
        if not body:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        for offset in range(0, len(body), _CHUNK):
            last = offset + _CHUNK >= len(body)
            await send(
                {
                    "type": "http.response.body",
                    "body": body[offset : offset + _CHUNK],
                    "more_body": not last,
                }
            )

    return app
