"""Integrated accounts: which provider, whose credentials, which provider parameters.

The embedded default store is SQLite (a file, or ":memory:"). Credentials never appear in a
repr, a log line or an error message.
"""

from __future__ import annotations

import ipaddress
import json
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from unifold import _errors as errors

Environment = Literal["production", "sandbox"]
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
_SINGLE_LINE = re.compile(r"[^\x00-\x1f\x7f]+")


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
    id: str
    integration: str
    environment: Environment
    credentials: Credentials = field(repr=True)
    params: dict[str, str]
    base_url: str | None = None
    allow_remote_base_url: bool = False
    created_at: str = ""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _base_url_ok(base_url: Any) -> bool:
    if not isinstance(base_url, str) or any(c.isspace() or ord(c) < 32 for c in base_url):
        return False
    parts = urlsplit(base_url)
    try:
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not parts.query
        and not parts.fragment
        and parts.username is None
    )


def check_account(
    integration: str,
    environment: str,
    credentials: Mapping[str, Any],
    params: Mapping[str, Any],
    base_url: str | None,
    allow_remote_base_url: bool,
) -> dict[str, str]:
    """Validate an account against its integration's matrix; return params with defaults."""
    from unifold.generated.crm.registry import INTEGRATIONS, load

    if integration not in INTEGRATIONS:
        raise errors.AccountConfigError(
            f"unknown integration {integration!r}; available: {', '.join(sorted(INTEGRATIONS))}",
            field="integration",
            accepted=sorted(INTEGRATIONS),
        )
    if environment not in ("production", "sandbox"):
        raise errors.AccountConfigError(
            f"environment must be 'production' or 'sandbox', not {environment!r}",
            field="environment",
            integration=integration,
            accepted=["production", "sandbox"],
        )
    provider = load(integration).MATRIX["provider"]
    wanted = sorted(provider["auth"]["credentials"])
    # Only the expected names reach a message: never a value, nor a key the caller typed (a
    # secret pasted in the wrong place would otherwise be echoed).
    if not isinstance(credentials, Mapping):
        raise errors.AccountConfigError(
            f"{integration} credentials must be a mapping with the keys {wanted}",
            field="credentials",
            integration=integration,
            accepted=wanted,
        )
    missing = [k for k in wanted if k not in credentials]
    unexpected = sum(1 for k in credentials if k not in wanted)
    if missing or unexpected:
        raise errors.AccountConfigError(
            f"{integration} credentials need exactly the keys {wanted}; "
            f"missing {missing}, {unexpected} unexpected key(s)",
            field="credentials",
            integration=integration,
            accepted=wanted,
        )
    # A bearer token goes into a header as is; Basic credentials are base64-encoded (UTF-8),
    # so there only line breaks and control characters are refused.
    allowed = _HEADER_SAFE if provider["auth"]["scheme"] == "bearer" else _SINGLE_LINE
    for key in wanted:
        value = credentials[key]
        if not isinstance(value, str) or not allowed.fullmatch(value):
            raise errors.AccountConfigError(
                f"{integration} credential {key!r} must be a non-empty string"
                + (
                    " of printable ASCII (it goes into an HTTP header as is)"
                    if allowed is _HEADER_SAFE
                    else " on one line"
                ),
                field=f"credentials.{key}",
                integration=integration,
            )
    out: dict[str, str] = {}
    unknown = sorted(set(params) - set(provider["params"]))
    if unknown:
        raise errors.AccountConfigError(
            f"{integration} takes no parameter(s) {unknown}; it takes {sorted(provider['params'])}",
            field=f"params.{unknown[0]}",
            integration=integration,
            accepted=sorted(provider["params"]),
        )
    for name, spec in provider["params"].items():
        value = params.get(name, spec.get("default"))
        if value is None and environment == "sandbox":
            value = spec["example"]
        if not isinstance(value, str) or not re.fullmatch(spec["pattern"], value):
            raise errors.AccountConfigError(
                f"{integration} parameter {name!r} = {value!r} must match {spec['pattern']} "
                f"({spec['description']}, e.g. {spec['example']!r})",
                field=f"params.{name}",
                integration=integration,
                accepted=spec["pattern"],
            )
        out[name] = value
    if base_url is not None:
        if not _base_url_ok(base_url):
            # The URL itself is not echoed: it may carry the very credentials it is refused for.
            raise errors.AccountConfigError(
                "base_url must be an absolute http(s) URL with a valid port and no credentials, "
                "query, fragment or whitespace (e.g. http://127.0.0.1:8000/api/v2)",
                field="base_url",
                integration=integration,
            )
        parts = urlsplit(base_url)
        assert parts.hostname is not None
        if not is_loopback(parts.hostname) and not allow_remote_base_url:
            raise errors.AccountConfigError(
                f"base_url host {parts.hostname!r} is not a loopback address; pass "
                f"allow_remote_base_url=True to send {integration} credentials there",
                field="base_url",
                integration=integration,
            )
    return out


class AccountStore:
    """Accounts in SQLite. One connection, guarded by a lock (safe across threads)."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS integrated_accounts (
        id TEXT PRIMARY KEY,
        integration TEXT NOT NULL,
        environment TEXT NOT NULL,
        credentials TEXT NOT NULL,
        params TEXT NOT NULL,
        base_url TEXT,
        allow_remote_base_url INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    )"""

    def __init__(self, path: str | Path) -> None:
        target = str(path)
        if target != ":memory:":
            file = Path(target).expanduser()
            # Credentials are stored as given: keep the folder and file private to the user.
            file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            file.touch(mode=0o600, exist_ok=True)
            file.chmod(0o600)  # also a store an older version created world-readable
            target = str(file)
        self._db = sqlite3.connect(target, check_same_thread=False)
        self._lock = threading.Lock()
        self._cache: dict[str, IntegratedAccount] = {}
        with self._lock, self._db:
            self._db.execute(self.SCHEMA)

    def add(self, account: IntegratedAccount) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO integrated_accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account.id,
                    account.integration,
                    account.environment,
                    json.dumps(dict(account.credentials)),
                    json.dumps(account.params, sort_keys=True),
                    account.base_url,
                    int(account.allow_remote_base_url),
                    account.created_at,
                ),
            )
            self._cache[account.id] = account

    def get(self, account_id: str) -> IntegratedAccount | None:
        cached = self._cache.get(account_id)
        if cached is not None:
            return cached
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM integrated_accounts WHERE id = ?", (account_id,)
            ).fetchone()
        if row is None:
            return None
        account = self._row(row)
        self._cache[account_id] = account
        return account

    def list(self) -> list[IntegratedAccount]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM integrated_accounts ORDER BY created_at, id"
            ).fetchall()
        return [self._row(r) for r in rows]

    def delete(self, account_id: str) -> bool:
        with self._lock, self._db:
            self._cache.pop(account_id, None)
            cur = self._db.execute("DELETE FROM integrated_accounts WHERE id = ?", (account_id,))
            return cur.rowcount > 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @staticmethod
    def _row(row: tuple[Any, ...]) -> IntegratedAccount:
        return IntegratedAccount(
            id=row[0],
            integration=row[1],
            environment=row[2],
            credentials=Credentials(json.loads(row[3])),
            params=json.loads(row[4]),
            base_url=row[5],
            allow_remote_base_url=bool(row[6]),
            created_at=row[7],
        )


def new_account(
    integration: str,
    environment: str,
    credentials: Mapping[str, Any] | None,
    params: Mapping[str, Any] | None,
    base_url: str | None,
    allow_remote_base_url: bool,
) -> IntegratedAccount:
    if credentials is None and environment == "sandbox":
        from unifold.sandbox import SANDBOX_CREDENTIALS

        credentials = SANDBOX_CREDENTIALS.get(integration, {})
    if credentials is None:
        raise errors.AccountConfigError(
            f"{integration} accounts need credentials (or environment='sandbox')",
            field="credentials",
            integration=integration,
        )
    checked = check_account(
        integration, environment, credentials, params or {}, base_url, allow_remote_base_url
    )
    return IntegratedAccount(
        id=str(uuid.uuid4()),
        integration=integration,
        environment=environment,  # type: ignore[arg-type]
        credentials=Credentials(credentials),
        params=checked,
        base_url=base_url,
        allow_remote_base_url=allow_remote_base_url,
        created_at=datetime.now(UTC).isoformat(),
    )
