"""Provider HTTP: request descriptions, responses, error mapping, and the two drivers (sync and
async) that run a flow. Flows are generators that yield `ProviderRequest`s and receive
`ProviderResponse`s, so every decision is shared and only the I/O differs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from unifold import _errors as errors
from unifold._engine.connector import get_path
from unifold._ratelimit import Gate

logger = logging.getLogger("unifold")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Failures that happen before the request left: safe to retry for every method.
UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
MAX_RETRY_WAIT = 30.0


@dataclass(frozen=True)
class ProviderRequest:
    label: str
    method: str
    path: str  # relative to the account's base URL, path segments already encoded
    query: tuple[tuple[str, str], ...] = ()
    json: Any = None
    has_body: bool = False
    stream: bool = False  # the final response of a `stream` format call: not buffered
    # False for creates: a 5xx may have created the record, so only 429 is retried.
    idempotent: bool = True
    headers: tuple[tuple[str, str], ...] = ()  # extra request headers (If-Match)


@dataclass
class ProviderResponse:
    status_code: int
    headers: Mapping[str, str]
    content: bytes = b""
    stream: Any = None  # an open httpx.Response when streamed
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    def json(self) -> Any:
        if not self._parsed:
            self._json = json.loads(self.content) if self.content.strip() else None
            self._parsed = True
        return self._json

    def body(self) -> Any:
        """JSON when it parses, else text: how provider bodies are kept on errors and `raw`."""
        try:
            return self.json()
        except ValueError:
            return self.content.decode("utf-8", "replace")


Flow = Generator[ProviderRequest, ProviderResponse, Any]


class Endpoint:
    """Where and how to reach one account's provider (base URL and auth), with no secrets in
    its repr."""

    def __init__(
        self, integration: str, base_url: str, auth_header: str, provider: Mapping[str, Any]
    ):
        self.integration = integration
        self.base_url = base_url.rstrip("/")
        self._auth_header = auth_header
        self.provider = provider

    def __repr__(self) -> str:
        return f"Endpoint({self.integration!r}, {self.base_url!r})"

    def build(
        self, client: httpx.Client | httpx.AsyncClient, req: ProviderRequest
    ) -> httpx.Request:
        headers = {"Authorization": self._auth_header, "Accept": "application/json"}
        headers.update(req.headers)
        kwargs: dict[str, Any] = {}
        if req.has_body:
            kwargs["content"] = json.dumps(req.json, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        url = self.base_url + req.path
        if req.query:
            # Encoded here once: httpx would parse the URL again to merge `params`.
            url += "?" + urlencode(req.query, quote_via=quote)
        return client.build_request(req.method, url, headers=headers, **kwargs)

    def error(self, req: ProviderRequest, resp: ProviderResponse) -> errors.ProviderError:
        body = resp.body()
        message = None
        for path in self.provider["errors"]["message_paths"]:
            found = get_path(body, path) if isinstance(body, Mapping | list) else None
            if isinstance(found, str) and found.strip():
                message = found.strip()
                break
        if message is None:
            message = body.strip()[:500] if isinstance(body, str) and body.strip() else None
        status = resp.status_code
        meaning = self.provider["errors"].get("meanings", {}).get(str(status))  # JSON keys
        text = f"{self.integration} answered {status}" + (f" ({meaning})" if meaning else "")
        text += f" to {req.label}" + (f": {message}" if message else "")
        kw: dict[str, Any] = {
            "status_code": status,
            "integration": self.integration,
            "raw_response": body,
            "headers": dict(resp.headers),
            "method": req.method,
            "url": self.base_url + req.path,
        }
        if status == 429:
            return errors.ProviderRateLimitError(text, retry_after=self.retry_after(resp), **kw)
        cls: type[errors.ProviderError] = errors.ProviderError
        if status in self.provider["errors"]["validation_statuses"]:
            cls = errors.ProviderValidationError
        elif status in (401, 403):
            cls = errors.ProviderAuthError
        elif status == 404:
            cls = errors.ProviderNotFoundError
        elif status == 409:
            cls = errors.ProviderConflictError
        elif status >= 500:
            cls = errors.ProviderServerError
        return cls(text, **kw)

    def observe(self, pace: Gate, status: int, headers: Mapping[str, str]) -> None:
        """Tell the pacer what the provider's rate-limit headers say is left: they win over
        our own count when they say nothing is."""
        name = self.provider["rate_limit"].get("remaining")
        remaining = None
        if status == 429:
            remaining = 0
        elif name and (value := headers.get(name.lower())) is not None:
            try:
                remaining = int(float(value))
            except ValueError:
                remaining = None
        pace.observe(remaining, lambda: self.retry_after(ProviderResponse(status, headers)))

    def retry_after(self, resp: ProviderResponse) -> float | None:
        """Seconds to wait, from Retry-After or the provider's own reset header."""
        headers = resp.headers
        if value := headers.get("retry-after"):
            try:
                return max(0.0, float(value))
            except ValueError:
                try:
                    return max(
                        0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
                    )
                except (TypeError, ValueError):
                    return None
        limits = self.provider["rate_limit"]
        reset = limits.get("reset")
        if not reset or not (value := headers.get(reset.lower())):
            return None
        try:
            fmt = limits.get("reset_format")
            if fmt == "epoch_seconds":
                return max(0.0, float(value) - time.time())
            if fmt == "iso_datetime":
                return max(0.0, (datetime.fromisoformat(value) - datetime.now(UTC)).total_seconds())
            return max(0.0, float(value))
        except ValueError:
            return None


def _backoff(attempt: int, hint: float | None) -> float:
    if hint is not None:
        return min(hint, MAX_RETRY_WAIT)
    return min(0.5 * 2.0**attempt, 8.0) * (0.75 + random.random() / 2)


def _log(endpoint: Endpoint, req: ProviderRequest, status: int | str) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        # Paths only: no headers, no bodies, so no credentials and no customer data.
        logger.debug("%s %s %s -> %s", endpoint.integration, req.method, req.path, status)


def _connection_error(
    endpoint: Endpoint, req: ProviderRequest, exc: Exception
) -> errors.ProviderError:
    return errors.ProviderConnectionError(
        f"{endpoint.integration}: no answer to {req.label} ({type(exc).__name__})",
        status_code=502,
        integration=endpoint.integration,
        method=req.method,
        url=endpoint.base_url + req.path,
    )


class _Driver:
    max_retries: int

    def _retryable(self, req: ProviderRequest, status: int, attempt: int) -> bool:
        if attempt >= self.max_retries or status not in RETRY_STATUSES:
            return False
        return req.idempotent or status == 429


class SyncDriver(_Driver):
    def __init__(
        self,
        client: httpx.Client,
        endpoint: Endpoint,
        max_retries: int,
        pace: Gate | None = None,
    ) -> None:
        self.client = client
        self.endpoint = endpoint
        self.max_retries = max_retries
        self.pace = pace

    def send(self, req: ProviderRequest) -> ProviderResponse:
        attempt = 0
        while True:
            if self.pace is not None:
                self.pace.wait(MAX_RETRY_WAIT, self.endpoint.integration)
            try:
                raw = self.client.send(self.endpoint.build(self.client, req), stream=req.stream)
                if req.stream and not raw.is_success:
                    try:
                        raw.read()  # an error body is small and wanted whole
                    finally:
                        raw.close()
            except httpx.RequestError as exc:
                if self.pace is not None:
                    self.pace.observe(None, lambda: None)  # answered by nobody
                # Only a failed connect is surely unsent; anything later may have reached it.
                if isinstance(exc, UNSENT) and attempt < self.max_retries:
                    time.sleep(_backoff(attempt, None))
                    attempt += 1
                    continue
                raise _connection_error(self.endpoint, req, exc) from exc
            _log(self.endpoint, req, raw.status_code)
            if self.pace is not None:
                self.endpoint.observe(self.pace, raw.status_code, raw.headers)
            if raw.is_success:
                if req.stream:
                    return ProviderResponse(raw.status_code, raw.headers, stream=raw)
                return ProviderResponse(raw.status_code, raw.headers, raw.content)
            resp = ProviderResponse(raw.status_code, raw.headers, raw.content)
            error = self.endpoint.error(req, resp)
            if self._retryable(req, raw.status_code, attempt):
                time.sleep(_backoff(attempt, self.endpoint.retry_after(resp)))
                attempt += 1
                continue
            raise error

    def run(self, flow: Flow) -> Any:
        try:
            req = next(flow)
            while True:
                try:
                    resp = self.send(req)
                except errors.ProviderError as exc:
                    req = flow.throw(exc)
                    continue
                req = flow.send(resp)
        except StopIteration as stop:
            return stop.value


class AsyncDriver(_Driver):
    def __init__(
        self,
        client: httpx.AsyncClient,
        endpoint: Endpoint,
        max_retries: int,
        pace: Gate | None = None,
    ) -> None:
        self.client = client
        self.endpoint = endpoint
        self.max_retries = max_retries
        self.pace = pace

    async def send(self, req: ProviderRequest) -> ProviderResponse:
        attempt = 0
        while True:
            if self.pace is not None:
                await self.pace.wait_async(MAX_RETRY_WAIT, self.endpoint.integration)
            try:
                raw = await self.client.send(
                    self.endpoint.build(self.client, req), stream=req.stream
                )
                if req.stream and not raw.is_success:
                    try:
                        await raw.aread()
                    finally:
                        await raw.aclose()
            except httpx.RequestError as exc:
                if self.pace is not None:
                    self.pace.observe(None, lambda: None)  # answered by nobody
                if isinstance(exc, UNSENT) and attempt < self.max_retries:
                    await asyncio.sleep(_backoff(attempt, None))
                    attempt += 1
                    continue
                raise _connection_error(self.endpoint, req, exc) from exc
            _log(self.endpoint, req, raw.status_code)
            if self.pace is not None:
                self.endpoint.observe(self.pace, raw.status_code, raw.headers)
            if raw.is_success:
                if req.stream:
                    return ProviderResponse(raw.status_code, raw.headers, stream=raw)
                return ProviderResponse(raw.status_code, raw.headers, raw.content)
            resp = ProviderResponse(raw.status_code, raw.headers, raw.content)
            error = self.endpoint.error(req, resp)
            if self._retryable(req, raw.status_code, attempt):
                await asyncio.sleep(_backoff(attempt, self.endpoint.retry_after(resp)))
                attempt += 1
                continue
            raise error

    async def run(self, flow: Flow) -> Any:
        try:
            req = next(flow)
            while True:
                try:
                    resp = await self.send(req)
                except errors.ProviderError as exc:
                    req = flow.throw(exc)
                    continue
                req = flow.send(resp)
        except StopIteration as stop:
            return stop.value
