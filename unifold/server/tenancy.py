"""Tenants and their API tokens, and which tenant owns which integrated account.

Only a SHA-256 hash of each token is stored: a token is 32 random bytes (256 bits), so a
plain hash is enough (no salt or slow KDF is needed against guessing). Lookups go by hash;
the comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from unifold import _errors as errors

TOKEN_PREFIX = "uf_"


@dataclass(frozen=True)
class ApiToken:
    """A token's record: never its secret."""

    id: str
    tenant: str
    name: str | None
    created_at: str
    revoked_at: str | None = None


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def check_tenant(tenant: object) -> str:
    if not isinstance(tenant, str) or not tenant.strip() or len(tenant) > 200:
        raise errors.InvalidParameterError(
            "a tenant is a non-empty name of at most 200 characters", field="tenant"
        )
    return tenant


class TenantStore:
    """Tokens and account ownership in SQLite (the accounts store's file, its own tables)."""

    SCHEMA = (
        """CREATE TABLE IF NOT EXISTS api_tokens (
            id TEXT PRIMARY KEY,
            tenant TEXT NOT NULL,
            name TEXT,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )""",
        """CREATE TABLE IF NOT EXISTS account_tenants (
            account_id TEXT PRIMARY KEY,
            tenant TEXT NOT NULL
        )""",
    )

    def __init__(self, path: str | Path) -> None:
        target = str(path)
        if target != ":memory:":
            file = Path(target).expanduser()
            file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            file.touch(mode=0o600, exist_ok=True)
            target = str(file)
        try:
            self._db = sqlite3.connect(target, check_same_thread=False, timeout=30)
            self._lock = threading.Lock()
            with self._lock, self._db:
                for statement in self.SCHEMA:
                    self._db.execute(statement)
        except sqlite3.Error as exc:
            raise errors.UnifoldError(f"cannot open the tenant store: {exc}") from None

    def create_token(self, tenant: str, name: str | None = None) -> tuple[ApiToken, str]:
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            id=str(uuid.uuid4()), tenant=check_tenant(tenant), name=name, created_at=_now()
        )
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, NULL)",
                (token.id, token.tenant, name, _hash(plaintext), token.created_at),
            )
        return token, plaintext

    def verify_token(self, plaintext: str) -> ApiToken | None:
        digest = _hash(plaintext)
        with self._lock:
            row = self._db.execute(
                "SELECT id, tenant, name, created_at, revoked_at, token_hash FROM api_tokens "
                "WHERE token_hash = ?",
                (digest,),
            ).fetchone()
        if row is None or row[4] is not None or not hmac.compare_digest(row[5], digest):
            return None
        return ApiToken(*row[:5])

    def list_tokens(self, tenant: str | None = None) -> list[ApiToken]:
        sql = "SELECT id, tenant, name, created_at, revoked_at FROM api_tokens"
        args: tuple[str, ...] = ()
        if tenant is not None:
            sql, args = sql + " WHERE tenant = ?", (tenant,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY created_at, id", args).fetchall()
        return [ApiToken(*row) for row in rows]

    def revoke_token(self, token_id: str) -> bool:
        with self._lock, self._db:
            cur = self._db.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (_now(), token_id),
            )
        return cur.rowcount > 0

    def assign(self, account_id: str, tenant: str) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT INTO account_tenants VALUES (?, ?)", (account_id, tenant))

    def owns(self, tenant: str, account_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM account_tenants WHERE account_id = ? AND tenant = ?",
                (account_id, tenant),
            ).fetchone()
        return row is not None

    def accounts_of(self, tenant: str) -> set[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT account_id FROM account_tenants WHERE tenant = ?", (tenant,)
            ).fetchall()
        return {row[0] for row in rows}

    def forget(self, account_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM account_tenants WHERE account_id = ?", (account_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
