"""Base class shared by the in-memory provider emulators.

A provider receives a raw HTTP request (method, path, query, lower-cased headers, body bytes)
and answers with a :class:`SandboxResponse`. No network and no event loop are involved.
"""

from __future__ import annotations

import abc
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

__all__ = ["Abort", "ReceivedRequest", "Request", "Route", "SandboxProvider", "SandboxResponse"]


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the sandbox saw it (the auth header is never stored)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    json: Any  # parsed body or None


@dataclass
class SandboxResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Abort(Exception):  # noqa: N818 - control flow, not an error condition
    """Raised by handlers to answer early with a ready response."""

    def __init__(self, response: SandboxResponse) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class Request:
    """What a route handler sees: the path below the provider's base path."""

    method: str
    path: str  # relative to the base path
    query: list[tuple[str, str]]
    headers: Mapping[str, str]
    json: Any
    params: dict[str, str] = field(default_factory=dict)  # path parameters of the matched route
    prefix: str = ""  # the concrete base path of this request (Pipeliner: with the space id)
    prefix_params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str) -> str | None:
        """The first value of a query parameter, or None."""
        for key, value in self.query:
            if key == name:
                return value
        return None

    @property
    def origin(self) -> str:
        """``scheme://host`` of the request, used for absolute URLs (Link, Location, URIs)."""
        scheme = self.headers.get("x-forwarded-proto", "http").split(",")[0].strip() or "http"
        host = self.headers.get("host", "sandbox.invalid")
        return f"{scheme}://{host}"


Handler = Callable[[Request], SandboxResponse]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class SandboxProvider(abc.ABC):
    """An in-memory emulator of one provider's "projects" API: the contract every emulator
    module (`unifold/sandbox/<integration>.py`) fulfils.

    The module declares `SANDBOX = <its subclass>`; `create_provider(name)` finds it through
    the generated registry, and the tables of `unifold.sandbox` (`SEED_PROJECT_IDS`, ...) read
    its class attributes below, so adding an integration edits no shared list.

    Build the behaviour from the provider's documentation (paths, envelopes, auth, partial
    update rules, validation and error bodies, rate-limit headers), never from what unifold
    sends: the emulator is the independent oracle the integration suite checks the mapping
    against. It answers raw HTTP (`handle`), in-process or served over loopback
    (`python -m unifold.sandbox serve <integration>`), and records every request in
    `received` (without credentials).

    A subclass implements:
    - `_build_routes()`: the `Route`s below `base_path` (`route("GET", r"/projects/(?P<id>..)",
      handler)`); each handler takes a `Request` and returns a `SandboxResponse`;
    - `_authorized(headers)`: whether the request carries `credentials` as the provider expects;
    - `_error(status, message)`: an error body in the provider's own format;
    - `put_project(raw)`: insert a provider-shaped record as is (tests seed odd data with it);
    and seeds its state in `__init__` so that every fresh instance holds `seed_project_ids`
    (the first one the richest record) and the related records of `seed_references`.
    """

    integration: ClassVar[str]
    """The integration's name, as in the registry (`openapi/integrations/<name>.yaml`)."""
    base_path: ClassVar[str]
    """The path prefix of the provider's API (the path of the matrix's `base_url`)."""
    credentials: ClassVar[dict[str, str]]
    """The credentials a sandbox account of this integration gets (the matrix's auth keys)."""
    seed_project_ids: ClassVar[tuple[str, ...]] = ()
    """The ids of the projects every fresh instance holds; the first is the richest."""
    seed_references: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Ids of the seeded related records, by kind (`users`, `companies`, ...)."""
    unknown_project_id: ClassVar[str] = ""
    """A well-formed project id (it matches the matrix's `id_pattern`) that no seed has."""

    # `received` keeps the latest requests only: a long-running sandbox must not grow forever.
    max_received: ClassVar[int] = 10_000

    def __init__(self) -> None:
        self.received: list[ReceivedRequest] = []
        self._lock = threading.RLock()
        # Seconds since the epoch; tests may replace it to move time forward.
        self.clock: Callable[[], float] = time.time
        # Off by default so that benchmarks never hit a 429; tests switch it on.
        self.enforce_rate_limit = False
        self.rate_limited = 0  # requests answered 429 for being over the limit
        self.peak_in_window = 0  # the most requests its rate-limit window has held at once
        self._routes: list[Route] = self._build_routes()

    # ------------------------------------------------------------------ public API

    def handle(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> SandboxResponse:
        method = method.upper()
        parsed, json_ok = _parse_json(body)
        query_t = tuple((str(k), str(v)) for k, v in query)
        with self._lock:
            if len(self.received) >= self.max_received + self.max_received // 10:
                del self.received[: len(self.received) - self.max_received + 1]  # in batches
            oauth = self._answer_oauth(method, path, list(query_t), headers, body)
            if oauth is not None:  # an OAuth endpoint (sandbox/_oauth.py): no secret recorded
                response, recorded = oauth
                self.received.append(ReceivedRequest(method, path, (), recorded))
                return response
            self.received.append(ReceivedRequest(method, path, query_t, parsed))
            try:
                response = self._handle(method, path, list(query_t), headers, parsed, json_ok)
            except Abort as abort:
                response = abort.response
            response.headers.extend(self._rate_limit_headers())
            if response.status not in (204, 304) and not _has_header(response, "content-length"):
                response.headers.append(("Content-Length", str(len(response.body))))
            return response

    def enforce_limits(self, window_seconds: float | None = None) -> None:
        """Answer 429 past the provider's documented limit. `window_seconds` shortens the
        limit's window (Teamleader: 200 per `window_seconds` instead of per minute), so a test
        of pacing runs in seconds."""
        window = getattr(self, "_window", None)
        if window_seconds is not None and window is not None:
            window.seconds = window_seconds
        self.enforce_rate_limit = True

    @abc.abstractmethod
    def put_project(self, raw: dict[str, Any]) -> str:
        """Insert a raw provider-shaped record (no validation) and return its id."""

    # ------------------------------------------------------------------ provider hooks

    @abc.abstractmethod
    def _build_routes(self) -> list[Route]: ...

    @abc.abstractmethod
    def _authorized(self, headers: Mapping[str, str]) -> bool: ...

    @abc.abstractmethod
    def _error(self, status: int, message: str) -> SandboxResponse:
        """A generic error (401, 404 route, 405, 429, bad JSON) in the provider's format."""

    def _answer_oauth(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[SandboxResponse, Any] | None:
        """Providers with OAuth (sandbox/_oauth.py) answer their authorize and token endpoints."""
        return None

    def _count_request(self) -> bool:
        """Count one request against the rate limit; return False when it is over the limit."""
        return True

    def _rate_limit_headers(self) -> list[tuple[str, str]]:
        return []

    def _match_base(self, path: str) -> tuple[str, str, dict[str, str]] | None:
        """Split ``path`` into (prefix, rest, prefix params), or None when outside the base."""
        base = self.base_path
        if not base:
            return "", path, {}
        if path == base or path.startswith(base + "/"):
            return base, path[len(base) :] or "/", {}
        return None

    # ------------------------------------------------------------------ helpers

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _handle(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        parsed: Any,
        json_ok: bool,
    ) -> SandboxResponse:
        within_limit = self._count_request()
        window = getattr(self, "_window", None)
        if window is not None:
            self.peak_in_window = max(self.peak_in_window, window.used)
        if not self._authorized(headers):
            return self._error(401, "Unauthorized")
        if self.enforce_rate_limit and not within_limit:
            self.rate_limited += 1
            return self._error(429, "rate limit reached")
        split = self._match_base(path)
        if split is None:
            return self._error(404, "Not found")
        prefix, rest, prefix_params = split
        allowed: list[str] = []
        for route in self._routes:
            match = route.pattern.fullmatch(rest)
            if match is None:
                continue
            if route.method != method:
                allowed.append(route.method)
                continue
            if not json_ok:
                return self._error(400, "Request body is not valid JSON")
            request = Request(
                method=method,
                path=rest,
                query=query,
                headers=headers,
                json=parsed,
                params={k: v for k, v in match.groupdict().items() if v is not None},
                prefix=prefix,
                prefix_params=prefix_params,
            )
            return route.handler(request)
        if allowed:
            response = self._error(405, "Method not allowed")
            response.headers.append(("Allow", ", ".join(sorted(set(allowed)))))
            return response
        return self._error(404, "Not found")


def _parse_json(body: bytes) -> tuple[Any, bool]:
    if not body or not body.strip():
        return None, True
    try:
        return json.loads(body), True
    except (ValueError, UnicodeDecodeError):
        return None, False


def _has_header(response: SandboxResponse, name: str) -> bool:
    return any(k.lower() == name for k, _ in response.headers)
