"""A provider that misbehaves on cue, for tests: the seeded sandbox emulator behind a transport
that can answer any request with something else, before or after the emulator applied it.

Accounts are production-style (their own credentials, which may be canaries): the fault layer
stands in for the provider's auth, so the emulator always sees its own credentials.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from unifold import AsyncUnifold, Unifold
from unifold.sandbox import SANDBOX_CREDENTIALS, SandboxTransport, create_provider

ORIGIN = "http://127.0.0.1:9"
SPACE = "nv3_PipelinerDev"
PARAMS = {
    "pipeliner": {"space_id": SPACE, "service_url": "https://us-east.api.pipelinersales.com"},
    "insightly": {"pod": "na1"},
}
READ_ENDPOINTS = ("projects.info", "projects.list", "projects-v2-status", "Definitions.list")

CANARY = {
    "capsule": {"token": "cAnArY-capsule-TOKEN-1"},
    "insightly": {"api_key": "cAnArY-insightly-KEY-2"},
    "pipeliner": {"username": "cAnArY-pl-USER-3", "password": "cAnArY-pl-PASS-4"},
    "planhat": {"token": "cAnArY-planhat-TOKEN-5"},
    "teamleader": {"access_token": "cAnArY-teamleader-TOKEN-6"},
}


def canary_forms(integration: str) -> list[str]:
    """Every form of an integration's canary credentials that must never show."""
    creds = CANARY[integration]
    forms = list(creds.values())
    if integration in ("insightly", "pipeliner"):
        pair = f"{creds.get('api_key') or creds['username']}:{creds.get('password', '')}"
        forms += [pair, base64.b64encode(pair.encode()).decode()]
    return forms


# (request number, request) -> None to let the emulator answer, or (apply, response): the
# emulator handles the request first when `apply`, and `response` is sent instead of its answer.
Fault = Callable[[int, httpx.Request], "tuple[bool, httpx.Response] | None"]


def _sandbox_auth(integration: str) -> str:
    creds = SANDBOX_CREDENTIALS[integration]
    if "token" in creds or "access_token" in creds:
        return "Bearer " + (creds.get("token") or creds["access_token"])
    pair = f"{creds.get('api_key') or creds['username']}:{creds.get('password', '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def is_write(request: httpx.Request) -> bool:
    if request.method == "GET":
        return False
    return not request.url.path.endswith(READ_ENDPOINTS)


@dataclass
class Sent:
    method: str
    path: str
    authorization: str
    status: int  # what the client got
    applied: bool  # the emulator handled it (and answered 2xx)


@dataclass
class FaultyProvider:
    integration: str
    fault: Fault = lambda n, request: None  # noqa: E731
    sent: list[Sent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.provider = create_provider(self.integration)
        self.sandbox = SandboxTransport(self.provider)
        self.auth = _sandbox_auth(self.integration)

    @property
    def base_url(self) -> str:
        return ORIGIN + self.provider.base_path.format(space_id=SPACE)

    def handle(self, request: httpx.Request) -> httpx.Response:
        authorization = request.headers.get("authorization", "")
        plan = self.fault(len(self.sent), request)  # sees the request as the client sent it
        request.headers["authorization"] = self.auth
        applied = False
        if plan is None or plan[0]:
            real = self.sandbox.handle_request(request)
            real.read()
            applied = real.is_success
            response = real if plan is None else plan[1]
        else:
            response = plan[1]
        self.sent.append(
            Sent(request.method, request.url.path, authorization, response.status_code, applied)
        )
        return response

    def applied_writes(self) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.applied and s.method != "GET" and not s.path.endswith(READ_ENDPOINTS)
        ]

    def _account(self, uf: Unifold | AsyncUnifold, credentials: dict[str, str] | None) -> str:
        return uf.accounts.create(
            self.integration,
            credentials or SANDBOX_CREDENTIALS[self.integration],
            params=PARAMS.get(self.integration),
            base_url=self.base_url,
        ).id

    def client(
        self, credentials: dict[str, str] | None = None, **options: Any
    ) -> tuple[Unifold, str]:
        http = httpx.Client(transport=httpx.MockTransport(self.handle))
        uf = Unifold(store=":memory:", http_client=http, **options)
        return uf, self._account(uf, credentials)

    def async_client(
        self, credentials: dict[str, str] | None = None, **options: Any
    ) -> tuple[AsyncUnifold, str]:
        async def handle(request: httpx.Request) -> httpx.Response:
            await request.aread()
            return self.handle(request)

        http = httpx.AsyncClient(transport=httpx.MockTransport(handle))
        uf = AsyncUnifold(store=":memory:", http_client=http, **options)
        return uf, self._account(uf, credentials)
