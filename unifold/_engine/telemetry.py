"""Traces and logs: an OpenTelemetry span per unified operation and per provider call, and
`logging` records (logger "unifold", DEBUG) with the same fields.

Spans exist when `opentelemetry-api` is installed (`pip install unifold[otel]`; the application
configures the SDK and exporter). Without it nothing is imported and the drivers' `send` is not
even wrapped; with it but no tracer provider set (and DEBUG off) no span object is made.
Attributes: the integration, the operation, the HTTP method, the path *template* (`/kases/{id}`,
never an id), the final status and the number of retries. No ids, bodies, headers or
credentials are recorded, and errors are recorded by type only (their messages may quote
provider data).
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from types import TracebackType
from typing import Any, TypeVar

try:  # optional: unifold[otel]
    from opentelemetry import trace as _trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError:  # pragma: no cover - exercised in a subprocess test
    _trace = None  # type: ignore[assignment]

logger = logging.getLogger("unifold")
_TRACER: Any = _trace.get_tracer("unifold") if _trace is not None else None
_UNSET_PROVIDERS: tuple[type, ...] = (
    (_trace.ProxyTracerProvider, _trace.NoOpTracerProvider) if _trace is not None else ()
)
_OPERATION: ContextVar[str] = ContextVar("unifold_operation", default="")
_CALL: ContextVar[_Span | None] = ContextVar("unifold_provider_call", default=None)

# Path segments that are (or may be) record ids, replaced by {id}: digits, UUIDs, 24-hex object
# ids, Planhat extid-/srcid- keys, and anything with an @ (an e-mail address names a person).
_ID_SEGMENT = re.compile(
    r"^(?:\d+|[0-9a-fA-F]{24}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}|(?:extid|srcid)-.+|.*@.*)$"
)

Send = TypeVar("Send", bound=Callable[..., Any])


def template(path: str) -> str:
    """A request path with every id-like segment replaced by `{id}`."""
    return "/".join("{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/"))


class _Span:
    """One traced unit: an OTel span (when available) and a DEBUG log record when it ends."""

    def __init__(self, name: str, kind: str, attributes: dict[str, Any]) -> None:
        self.name = name
        self.kind = kind
        self.attributes = attributes
        self.attempts = 0
        self._span: Any = None
        self._scope: Any = None
        self._token: Any = None
        self._start = 0.0

    def set(self, key: str, value: Any) -> None:
        self.attributes[key] = value
        if self._span is not None:
            self._span.set_attribute(key, value)

    def attempted(self, status: int | str) -> None:
        self.attempts += 1
        self.set("unifold.retries", self.attempts - 1)
        if isinstance(status, int):
            self.set("http.response.status_code", status)

    def __enter__(self) -> _Span:
        self._start = time.perf_counter()
        if self.kind == "operation":
            self._token = _OPERATION.set(self.attributes["unifold.operation"])
        else:
            self._token = _CALL.set(self)
        if _TRACER is not None:
            kind = SpanKind.CLIENT if self.kind == "provider call" else SpanKind.INTERNAL
            self._span = _TRACER.start_span(self.name, kind=kind, attributes=self.attributes)
            self._scope = _trace.use_span(self._span, end_on_exit=False)
            self._scope.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.set("error.type", exc_type.__name__)
            status = getattr(exc, "status_code", None)
            if self.kind == "provider call" and isinstance(status, int) and self.attempts:
                self.set("http.response.status_code", status)
        if self._span is not None:
            self._scope.__exit__(None, None, None)
            if exc_type is not None:
                self._span.set_status(Status(StatusCode.ERROR, exc_type.__name__))
            self._span.end()
        (_OPERATION if self.kind == "operation" else _CALL).reset(self._token)
        if logger.isEnabledFor(logging.DEBUG):
            error = self.attributes.get("error.type")
            logger.debug(
                "%s %s%s in %.1f ms",
                self.kind,
                self.name,
                f" failed ({error})" if error else "",
                (time.perf_counter() - self._start) * 1000,
                extra={"unifold": dict(self.attributes)},
            )


class _NoSpan:
    """What `operation` returns when there is nothing to trace or log."""

    def set(self, key: str, value: Any) -> None:
        pass

    def __enter__(self) -> _NoSpan:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


_NO_SPAN = _NoSpan()


def _quiet() -> bool:
    """Nothing would see a span or a record: no tracer provider set, DEBUG off."""
    if _TRACER is not None and not isinstance(_trace.get_tracer_provider(), _UNSET_PROVIDERS):
        return False
    return not logger.isEnabledFor(logging.DEBUG)


def operation(integration: str, name: str) -> _Span | _NoSpan:
    """Around one unified operation (`projects.update`, `proxy.request`, ...)."""
    if _quiet():
        return _NO_SPAN
    attributes = {"unifold.integration": integration, "unifold.operation": name}
    return _Span(f"unifold {name}", "operation", attributes)


def _provider_call(driver: Any, req: Any) -> _Span | _NoSpan:
    if _quiet():
        return _NO_SPAN
    endpoint = driver.endpoint
    url_template = template(req.path)
    attributes: dict[str, Any] = {
        "unifold.integration": endpoint.integration,
        "unifold.operation": _OPERATION.get(),
        "http.request.method": req.method,
        "url.template": url_template,
        "unifold.retries": 0,
    }
    return _Span(f"{req.method} {url_template}", "provider call", attributes)


def traced(send: Send) -> Send:
    """Decorates a sync driver's single send point: one span per provider call, retries in."""
    if _TRACER is None:
        return send  # nothing to trace: not even a wrapper

    @functools.wraps(send)
    def wrapper(driver: Any, req: Any) -> Any:
        with _provider_call(driver, req):
            return send(driver, req)

    return wrapper  # type: ignore[return-value]


def traced_async(send: Callable[..., Awaitable[Any]]) -> Any:
    """The async twin of `traced`."""
    if _TRACER is None:
        return send

    @functools.wraps(send)
    async def wrapper(driver: Any, req: Any) -> Any:
        with _provider_call(driver, req):
            return await send(driver, req)

    return wrapper


def attempt(integration: str, method: str, path: str, status: int | str) -> None:
    """One attempt of a provider call (the drivers' per-attempt log): counted on the current
    call's span and logged with the same fields."""
    call = _CALL.get()
    if call is not None:
        call.attempted(status)
    if not logger.isEnabledFor(logging.DEBUG):
        return
    fields = {
        "unifold.integration": integration,
        "unifold.operation": _OPERATION.get(),
        "http.request.method": method,
        "url.template": template(path),
        "http.response.status_code" if isinstance(status, int) else "error.type": status,
    }
    logger.debug(
        "%s %s %s -> %s",
        integration,
        method,
        fields["url.template"],
        status,
        extra={"unifold": fields},
    )
