"""Provider HTTP: request descriptions, responses, error mapping, and the two drivers (sync and
async) that run a flow. Flows are generators that yield `ProviderRequest`s and receive
`ProviderResponse`s, so every decision is shared and only the I/O differs.

Each driver has ONE method through which a request goes out, `_transmit`: it takes an
in-flight slot (the client's concurrency bounds), sends, and reads the answer within the
client's size limits. Retries (`send`) and flows (`run`) sit above it; anything that must
happen around every provider call (rate limiting, tracing) belongs in `_transmit`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from unifold import _errors as errors
from unifold._engine import retry, telemetry
from unifold._engine.connector import get_path
from unifold._engine.limits import (
    MAX_ERROR_BODY_BYTES,
    RATIO_FLOOR_BYTES,
    AsyncGate,
    Limits,
    SyncGate,
)
from unifold._engine.retry import RetryPolicy
from unifold._matrix import Provider
from unifold._oauth.session import Auth, StaticAuth
from unifold._ratelimit import Gate

logger = logging.getLogger("unifold")


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
    # A read (whatever its HTTP method): sent again after a timeout or a broken connection.
    safe: bool = False
    headers: tuple[tuple[str, str], ...] = ()  # extra request headers (If-Match)

    @property
    def resendable(self) -> bool:
        return self.safe or self.method == "GET"


@dataclass
class ProviderResponse:
    status_code: int
    headers: Mapping[str, str]
    content: bytes = b""
    stream: Any = None  # an open httpx.Response when streamed
    integration: str = ""
    label: str = ""
    endpoint: Endpoint | None = field(default=None, repr=False)  # for redaction, on errors only
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is a typed `ProviderResponseError`."""
        if not self._parsed:
            try:
                self._json = json.loads(self.content) if self.content.strip() else None
            except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, or far too deep
                raise errors.ProviderResponseError(
                    f"{self.integration or 'the provider'} answered {self.status_code} to "
                    f"{self.label or 'a request'} with a body that is not valid JSON "
                    f"({type(exc).__name__})",
                    provider_status=self.status_code,
                    integration=self.integration,
                    raw_response=self.text(),
                ) from None
            self._parsed = True
        return self._json

    def text(self) -> str:
        secrets = self.endpoint.secrets if self.endpoint is not None else ()
        return errors.redact(self.content.decode("utf-8", "replace"), secrets)  # type: ignore[no-any-return]

    def body(self) -> Any:
        """JSON when it parses, else text: how provider bodies are kept on errors and `raw`."""
        try:
            return self.json()
        except errors.ProviderResponseError:
            return self.text()


Flow = Generator[ProviderRequest, ProviderResponse, Any]


class Endpoint:
    """Where and how to reach one account's provider (base URL and auth), with no secrets in
    its repr. `secrets` are the account's credential values in every form they are sent in:
    provider text is redacted of them before it goes into an error."""

    def __init__(
        self,
        integration: str,
        base_url: str,
        auth_header: str | Auth,
        provider: Provider,
        secrets: tuple[str, ...] = (),
    ):
        self.integration = integration
        self.base_url = base_url.rstrip("/")
        # A fixed header, or one kept fresh by OAuth refreshes (unifold/_oauth/session.py).
        self.auth = StaticAuth(auth_header) if isinstance(auth_header, str) else auth_header
        self.provider = provider
        self._secrets = tuple(secrets)
        self._sorted: tuple[str, tuple[str, ...]] | None = None  # (for this header, secrets)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The account's credentials in every form sent, the current (maybe refreshed) token
        too; longest first, so a Basic blob is replaced whole before any part of it."""
        header = self.auth.header()
        known = self._sorted
        if known is not None and known[0] == header:
            return known[1]
        current = header.partition(" ")[2]
        found = {s for s in (*self._secrets, current) if s}
        secrets = tuple(sorted(found, key=len, reverse=True))
        self._sorted = (header, secrets)
        return secrets

    def __repr__(self) -> str:
        return f"Endpoint({self.integration!r}, {self.base_url!r})"

    def build(
        self,
        client: httpx.Client | httpx.AsyncClient,
        req: ProviderRequest,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Request:
        headers = {"Authorization": self.auth.header(), "Accept": "application/json"}
        headers.update(req.headers)
        kwargs: dict[str, Any] = {}
        if req.has_body:
            kwargs["content"] = json.dumps(req.json, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if timeout is not None:
            kwargs["timeout"] = timeout
        url = self.base_url + req.path
        if req.query:
            # Encoded here once: httpx would parse the URL again to merge `params`.
            url += "?" + urlencode(req.query, quote_via=quote)
        return client.build_request(req.method, url, headers=headers, **kwargs)

    def response(
        self, req: ProviderRequest, raw: httpx.Response, content: bytes = b"", stream: Any = None
    ) -> ProviderResponse:
        return ProviderResponse(
            raw.status_code,
            raw.headers,
            content,
            stream=stream,
            integration=self.integration,
            label=req.label,
            endpoint=self,
        )

    def error(self, req: ProviderRequest, resp: ProviderResponse) -> errors.ProviderError:
        body = errors.redact(resp.body(), self.secrets)
        message = None
        for path in self.provider.errors.message_paths:
            found = get_path(body, path) if isinstance(body, Mapping | list) else None
            if isinstance(found, str) and found.strip():
                message = found.strip()
                break
        if message is None and isinstance(body, str) and body.strip():
            message = body.strip()
        status = resp.status_code
        meaning = self.provider.errors.meanings.get(status)
        text = f"{self.integration} answered {status}" + (f" ({meaning})" if meaning else "")
        text += f" to {req.label}" + (
            f": {errors.provider_text(message, self.secrets)}" if message else ""
        )
        kw: dict[str, Any] = {
            "status_code": status,
            "integration": self.integration,
            "raw_response": body,
            "headers": {k: errors.redact(v, self.secrets) for k, v in resp.headers.items()},
            "method": req.method,
            "url": self.base_url + req.path,
        }
        if status == 429:
            return errors.ProviderRateLimitError(text, retry_after=self.retry_after(resp), **kw)
        cls: type[errors.ProviderError] = errors.ProviderError
        if status in self.provider.errors.validation_statuses:
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
        """Tell the pacer about an answer and what the provider's rate-limit headers say is
        left: they win over our own count when they say fewer are left."""
        limits = self.provider.rate_limit
        name = limits.remaining
        remaining = None
        if status == 429:
            remaining = 0
        elif name and (value := headers.get(name.lower())) is not None:
            try:
                remaining = int(float(value))
            except ValueError:
                remaining = None
        # The reset header read as on a 429: when the provider's window frees a slot.
        pace.observe(remaining, lambda: retry.retry_after(headers, limits, 429))

    def retry_after(self, resp: ProviderResponse) -> float | None:
        """Seconds to wait, or to report as `retry_after` (see `retry.wait_hint`)."""
        return retry.wait_hint(resp.headers, self.provider.rate_limit, resp.status_code)

    def connection_error(self, req: ProviderRequest, exc: Exception) -> errors.ProviderError:
        local = isinstance(exc, httpx.PoolTimeout)
        return errors.ProviderConnectionError(
            f"{self.integration}: no answer to {req.label} ({type(exc).__name__}"
            + (": no free connection in this client's pool" if local else "")
            + ")",
            status_code=503 if local else 502,
            integration=self.integration,
            method=req.method,
            url=self.base_url + req.path,
        )

    def unusable(
        self,
        req: ProviderRequest,
        raw: httpx.Response,
        what: str,
        cls: type[errors.ProviderResponseError] = errors.ProviderResponseError,
    ) -> errors.ProviderResponseError:
        """The provider answered `raw`, but `what` (too large, broken off) makes it unusable."""
        return cls(
            f"{self.integration} answered {raw.status_code} to {req.label} {what}",
            provider_status=raw.status_code,
            integration=self.integration,
            method=req.method,
            url=self.base_url + req.path,
        )

    def too_large(
        self, req: ProviderRequest, raw: httpx.Response, why: str
    ) -> errors.ProviderError:
        return self.unusable(
            req, raw, f"with {why}; nothing more was read", errors.ResponseTooLargeError
        )


def _log(endpoint: Endpoint, req: ProviderRequest, status: int | str) -> None:
    telemetry.attempt(endpoint.integration, req.method, req.path, status)


def _redirected(exc: httpx.RequestError, request: httpx.Request) -> bool:
    try:
        return exc.request is not request
    except RuntimeError:  # no request attached: it failed on ours
        return False


class _BodyReader:
    """Counts an answer's bytes as they arrive and stops at the client's limits: the decoded
    size, and the ratio of decoded to downloaded bytes (a small gzip body can expand to GiBs).
    An error body is cut at MAX_ERROR_BODY_BYTES instead (its status is what matters)."""

    def __init__(self, endpoint: Endpoint, limits: Limits, req: ProviderRequest, raw: Any):
        self.endpoint = endpoint
        self.limits = limits
        self.req = req
        self.raw = raw
        self.success = raw.is_success
        self.cap = (
            limits.max_response_bytes
            if self.success
            else min(limits.max_response_bytes, MAX_ERROR_BODY_BYTES)
        )
        self.chunks: list[bytes] = []
        self.size = 0

    def check_declared(self) -> None:
        declared = self.raw.headers.get("content-length", "")
        encoded = self.raw.headers.get("content-encoding", "identity") != "identity"
        if self.success and not encoded and declared.isdigit() and int(declared) > self.cap:
            raise self.endpoint.too_large(
                self.req, self.raw, f"{declared} bytes (max_response_bytes={self.cap})"
            )

    def add(self, chunk: bytes) -> bool:
        """Keep a chunk; False when reading should stop (an error body at its cap)."""
        self.size += len(chunk)
        if self.size > self.cap:
            if not self.success:
                self.chunks.append(chunk[: len(chunk) - (self.size - self.cap)])
                return False
            raise self.endpoint.too_large(
                self.req, self.raw, f"more than {self.cap} bytes (max_response_bytes)"
            )
        ratio = self.limits.max_decompression_ratio
        if self.size > RATIO_FLOOR_BYTES and self.size > ratio * max(
            self.raw.num_bytes_downloaded, 1
        ):
            raise self.endpoint.too_large(
                self.req,
                self.raw,
                f"a body that decompresses more than {ratio:g}-fold (max_decompression_ratio)",
            )
        self.chunks.append(chunk)
        return True

    def content(self) -> bytes:
        return b"".join(self.chunks)


class _Driver:
    def __init__(
        self,
        client: Any,
        endpoint: Endpoint,
        policy: RetryPolicy,
        limits: Limits,
        gate: Any,
        account_id: str,
        pace: Gate | None = None,
    ) -> None:
        self.client = client
        self.endpoint = endpoint
        self.policy = policy
        self.limits = limits
        self.gate = gate
        self.account_id = account_id
        self.pace = pace  # the account's request budget (proactive rate limiting)

    def _after_answer(self, req: ProviderRequest, resp: ProviderResponse, attempt: int) -> float:
        """Seconds to wait before trying again; the error (built only now) if not."""
        hint = self.endpoint.retry_after(resp)
        wait = retry.after_status(resp.status_code, hint, attempt, self.policy, req.idempotent)
        if wait is None:
            raise self.endpoint.error(req, resp)
        return wait

    def _after_failure(
        self, req: ProviderRequest, request: httpx.Request, exc: httpx.RequestError, attempt: int
    ) -> float | None:
        return retry.after_failure(
            exc, attempt, self.policy, req.resendable, _redirected(exc, request)
        )

    def _answered(self, raw: httpx.Response | None) -> None:
        if self.pace is not None:
            if raw is None:
                self.pace.observe(None, lambda: None)  # nobody answered
            else:
                self.endpoint.observe(self.pace, raw.status_code, raw.headers)

    def _on_read_failure(
        self, req: ProviderRequest, raw: httpx.Response, exc: httpx.RequestError
    ) -> None:
        """The status line arrived, then the body broke off. A write answered 2xx took effect:
        say so (never resend it); anything else is a transport failure as usual."""
        if raw.is_success and not req.resendable:
            what = f"then the answer broke off ({type(exc).__name__})"
            raise self.endpoint.unusable(req, raw, what) from exc
        raise exc


class SyncDriver(_Driver):
    gate: SyncGate

    def _transmit(self, req: ProviderRequest, request: httpx.Request) -> ProviderResponse:
        """The one place a request goes out (see the module docstring)."""
        self.gate.acquire(self.account_id)
        try:
            # Paced after the in-flight slot, so the request leaves as soon as it may.
            if self.pace is not None:
                self.pace.wait(self.policy.max_wait, self.endpoint.integration)
            try:
                raw = self.client.send(request, stream=True)
            except BaseException:
                self._answered(None)
                raise
            self._answered(raw)
            try:
                if req.stream and raw.is_success:
                    return self.endpoint.response(req, raw, stream=raw)  # the caller closes it
                reader = _BodyReader(self.endpoint, self.limits, req, raw)
                reader.check_declared()
                try:
                    for chunk in raw.iter_bytes():
                        if not reader.add(chunk):
                            break
                except httpx.RequestError as exc:
                    self._on_read_failure(req, raw, exc)
            except BaseException:
                raw.close()
                raise
            raw.close()
        finally:
            self.gate.release(self.account_id)
        return self.endpoint.response(req, raw, reader.content())

    @telemetry.traced
    def send(self, req: ProviderRequest) -> ProviderResponse:
        attempt = 0
        renewed = False
        while True:
            self.endpoint.auth.ensure_fresh()
            request = self.endpoint.build(self.client, req, self.policy.timeout)
            try:
                resp = self._transmit(req, request)
            except httpx.RequestError as exc:
                _log(self.endpoint, req, type(exc).__name__)
                wait = self._after_failure(req, request, exc, attempt)
                if wait is None:
                    raise self.endpoint.connection_error(req, exc) from exc
                time.sleep(wait)
                attempt += 1
                continue
            _log(self.endpoint, req, resp.status_code)
            if 200 <= resp.status_code < 300:
                return resp
            if resp.status_code == 401 and not renewed:  # an OAuth token may be renewed, once
                renewed = self.endpoint.auth.renew(request.headers.get("authorization"))
                if renewed:
                    continue
            time.sleep(self._after_answer(req, resp, attempt))
            attempt += 1

    def run(self, flow: Flow) -> Any:
        try:
            return self._run(flow)
        except errors.UnifoldError as exc:
            # Errors raised while reading an answer carry provider text: no secret leaves.
            errors.scrub(exc, self.endpoint.secrets)
            raise

    def _run(self, flow: Flow) -> Any:
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
    gate: AsyncGate

    async def _transmit(self, req: ProviderRequest, request: httpx.Request) -> ProviderResponse:
        """The one place a request goes out (see the module docstring)."""
        everyone, account = await self.gate.acquire(self.account_id)
        try:
            # Paced after the in-flight slot, so the request leaves as soon as it may.
            if self.pace is not None:
                await self.pace.wait_async(self.policy.max_wait, self.endpoint.integration)
            try:
                raw = await self.client.send(request, stream=True)
            except BaseException:
                self._answered(None)
                raise
            self._answered(raw)
            try:
                if req.stream and raw.is_success:
                    return self.endpoint.response(req, raw, stream=raw)  # the caller closes it
                reader = _BodyReader(self.endpoint, self.limits, req, raw)
                reader.check_declared()
                try:
                    async for chunk in raw.aiter_bytes():
                        if not reader.add(chunk):
                            break
                except httpx.RequestError as exc:
                    self._on_read_failure(req, raw, exc)
            except BaseException:
                await raw.aclose()
                raise
            await raw.aclose()
        finally:
            everyone.release()
            if account is not None:
                account.release()
        return self.endpoint.response(req, raw, reader.content())

    @telemetry.traced_async
    async def send(self, req: ProviderRequest) -> ProviderResponse:
        attempt = 0
        renewed = False
        while True:
            await self.endpoint.auth.aensure_fresh()
            request = self.endpoint.build(self.client, req, self.policy.timeout)
            try:
                resp = await self._transmit(req, request)
            except httpx.RequestError as exc:
                _log(self.endpoint, req, type(exc).__name__)
                wait = self._after_failure(req, request, exc, attempt)
                if wait is None:
                    raise self.endpoint.connection_error(req, exc) from exc
                await asyncio.sleep(wait)
                attempt += 1
                continue
            _log(self.endpoint, req, resp.status_code)
            if 200 <= resp.status_code < 300:
                return resp
            if resp.status_code == 401 and not renewed:
                renewed = await self.endpoint.auth.arenew(request.headers.get("authorization"))
                if renewed:
                    continue
            await asyncio.sleep(self._after_answer(req, resp, attempt))
            attempt += 1

    async def run(self, flow: Flow) -> Any:
        try:
            return await self._run(flow)
        except errors.UnifoldError as exc:
            errors.scrub(exc, self.endpoint.secrets)
            raise

    async def _run(self, flow: Flow) -> Any:
        try:
            req = next(flow)
            while True:
                try:
                    resp = await self.send(req)
                except errors.ProviderError as exc:
                    req = flow.throw(exc)
                    continue
                except asyncio.CancelledError as exc:
                    flow.throw(exc)  # the flow records how far a write got, then re-raises
                    raise
                req = flow.send(resp)
        except StopIteration as stop:
            return stop.value
