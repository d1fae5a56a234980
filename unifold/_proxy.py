"""`uf.proxy`: one raw call to an account's provider, with the account's auth, retries, rate
limits and typed errors, for the endpoints unifold does not unify. The answer is the
provider's, untransformed.

The path can only name something under the account's API base URL: it is checked character by
character (no scheme, host, `.`/`..` segment, percent escape, backslash, query or fragment),
and the URL built from it is checked again against the base before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from unifold import _errors as errors
from unifold._engine import telemetry
from unifold._engine.connector import load_connector
from unifold._engine.flows import flatten_query
from unifold._engine.http import Flow, ProviderRequest, ProviderResponse

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# RFC 3986 pchar minus "%" (no escapes: unifold sends the path as given) and ";" (path
# parameters, which some servers read as a segment boundary: `..;/`).
_SEGMENT = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,=:@]+")
MAX_PATH = 2048


@dataclass(frozen=True)
class ProxyResponse:
    """The provider's answer as it came: status, headers and body (parsed JSON when it is
    JSON, else text; `content` is the bytes)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    body: Any


def check_path(path: Any, integration: str) -> str:
    """The path, if it can only address the provider's API under the account's base URL."""

    def refuse(why: str) -> errors.InvalidParameterError:
        return errors.InvalidParameterError(
            f"proxy path {path!r} is refused: {why}; give a path under the {integration} API "
            f"base URL such as '/kases/12' (no scheme, host, '.' or '..' segments, '%' "
            f"escapes, backslashes, '?' or '#'; put the query in params=)",
            field="path",
            integration=integration,
            accepted="/segment/segment with RFC 3986 path characters",
        )

    if not isinstance(path, str):
        raise refuse(f"it is a {type(path).__name__}, not a string")
    if not path.startswith("/"):
        raise refuse("it must start with '/'")
    if path.startswith("//"):
        raise refuse("'//' would name another host")
    if len(path) > MAX_PATH:
        raise refuse(f"it is longer than {MAX_PATH} characters")
    segments = path[1:].split("/")
    if path != "/" and path.endswith("/"):
        segments = segments[:-1]  # one trailing slash is part of some providers' paths
    for segment in segments:
        if segment == "":
            raise refuse("it has an empty segment ('//')")
        if set(segment) == {"."}:
            raise refuse("'.' and '..' segments cannot climb out of the API")
        if not _SEGMENT.fullmatch(segment):
            bad = sorted({c for c in segment if not _SEGMENT.fullmatch(c)})
            raise refuse(f"it contains {''.join(bad)!r}")
    return path


def _same_origin(base_url: str, url: str) -> bool:
    base, target = urlsplit(base_url), urlsplit(url)
    prefix = base.path.rstrip("/") + "/"
    return (target.scheme, target.hostname, target.port) == (
        base.scheme,
        base.hostname,
        base.port,
    ) and (target.path + "/").startswith(prefix)


def proxy_flow(request: ProviderRequest) -> Flow:
    resp: ProviderResponse = yield request
    return ProxyResponse(resp.status_code, dict(resp.headers), resp.content, resp.body())


class Proxy:
    """`uf.proxy`: raw calls to an account's provider (see the module docstring)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def _prepare(
        self,
        method: Any,
        path: Any,
        integrated_account_id: Any,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> tuple[Any, Flow, str]:
        core = self._client._core
        account = core.account(integrated_account_id)
        conn = load_connector(account.integration)
        verb = method.upper() if isinstance(method, str) else method
        if verb not in METHODS:
            raise errors.InvalidParameterError(
                f"proxy method {method!r} is not one of {', '.join(METHODS)}",
                field="method",
                integration=account.integration,
                accepted=list(METHODS),
            )
        checked = check_path(path, account.integration)
        if params is not None and not isinstance(params, Mapping):
            raise errors.InvalidParameterError(
                f"params must be a mapping, not {type(params).__name__}",
                field="params",
                integration=account.integration,
            )
        request = ProviderRequest(
            label=f"proxy {verb} {checked}",
            method=verb,
            path=checked,
            query=tuple(flatten_query(params or {})),
            json=json,
            has_body=json is not None,
            # A POST or PATCH that failed with a 5xx may have been applied: only 429 retried.
            idempotent=verb not in ("POST", "PATCH"),
        )
        driver = self._client._driver(account, conn)
        url = driver.endpoint.base_url + checked
        if not _same_origin(driver.endpoint.base_url, url):  # defence in depth
            raise errors.InvalidParameterError(
                f"proxy path {path!r} would leave the {account.integration} API",
                field="path",
                integration=account.integration,
            )
        return driver, proxy_flow(request), account.integration

    def request(
        self,
        method: str,
        path: str,
        *,
        integrated_account_id: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Send `method path` (relative to the account's API base URL, e.g. `/kases/12` for
        Capsule) with the account's auth, retries and rate limits. Returns a `ProxyResponse`;
        a provider error raises its typed `ProviderError`."""
        driver, flow, integration = self._prepare(method, path, integrated_account_id, params, json)
        with telemetry.operation(integration, "proxy.request"):
            return driver.run(flow)


class AsyncProxy(Proxy):
    """`auf.proxy` on `AsyncUnifold`: `await auf.proxy.request(...)`."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        integrated_account_id: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        driver, flow, integration = self._prepare(method, path, integrated_account_id, params, json)
        with telemetry.operation(integration, "proxy.request"):
            return await driver.run(flow)

    request.__doc__ = Proxy.request.__doc__
