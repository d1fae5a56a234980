"""What the store holds: integrated accounts (with their secrets kept out of every repr) and
the server's API tokens (of which only a hash is ever stored)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

Environment = Literal["production", "sandbox"]
AccountStatus = Literal["active", "needs_reauth"]


class Credentials(Mapping[str, str]):
    """A read-only mapping of secrets whose repr and str never show the values."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return "Credentials(" + ", ".join(f"{k}='**********'" for k in sorted(self._values)) + ")"

    __str__ = __repr__


@dataclass(frozen=True)
class IntegratedAccount:
    """One connected provider account.

    `status` is `needs_reauth` once the provider refused to refresh its OAuth token; then
    `auth_failed_at` (ISO time) and `auth_failure_reason` (the provider's words, no secret) say
    when and why, and only a new connect (or `accounts.update` with new credentials) revives it.
    """

    id: str
    integration: str
    environment: Environment
    credentials: Credentials = field(repr=True)
    params: dict[str, str]
    base_url: str | None = None
    allow_remote_base_url: bool = False
    created_at: str = ""
    tenant: str | None = None
    status: AccountStatus = "active"
    updated_at: str = ""
    auth_failed_at: str | None = None
    auth_failure_reason: str | None = None


@dataclass(frozen=True)
class ApiToken:
    """A server API token of one tenant. The plaintext is shown once, at creation; the store
    keeps only its SHA-256, so nothing here is secret."""

    id: str
    tenant: str
    name: str | None
    created_at: str
    revoked_at: str | None = None
