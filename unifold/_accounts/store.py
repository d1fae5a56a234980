"""The account store: one interface, two SQL backends (SQLite in `sqlite.py`, PostgreSQL in
`postgres.py`). Everything above raw SQL execution lives here, so both behave the same.

An account is never served stale: a `get` answers from memory only while the backend proves
that nothing changed since it was read (SQLite: `PRAGMA data_version`, which moves whenever
another connection or process commits, plus a count of this store's own writes); otherwise,
and always on PostgreSQL, it reads the row (and decrypts it again only if the row changed).
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from unifold import _errors as errors
from unifold._accounts.crypto import Cipher
from unifold._accounts.model import ApiToken, Credentials, IntegratedAccount
from unifold._accounts.validation import check_tenant

logger = logging.getLogger("unifold")

SCHEMA_VERSION = 1
CACHED_ACCOUNTS = 1024  # decoded accounts kept in memory (a server may hold many more)
DEFAULT_SQLITE_PATH = "~/.unifold/accounts.sqlite3"
DATABASE_URL_ENV = "UNIFOLD_DATABASE_URL"
SQLITE_PATH_ENV = "UNIFOLD_STORE"

ACCOUNT_COLUMNS = (
    "id",
    "integration",
    "environment",
    "credentials",
    "params",
    "base_url",
    "allow_remote_base_url",
    "created_at",
    "tenant",
    "status",
    "updated_at",
    "auth_failed_at",
    "auth_failure_reason",
)
_SELECT_ACCOUNT = f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM integrated_accounts"
_TOKEN_COLUMNS = "id, tenant, name, created_at, revoked_at"
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,200}")

# Version 1, in the SQL both backends speak. Version 0 (unifold 0.1's SQLite file) had only the
# first eight account columns, plaintext credentials and no other table.
SCHEMA_V1 = (
    """CREATE TABLE integrated_accounts (
        id TEXT PRIMARY KEY,
        integration TEXT NOT NULL,
        environment TEXT NOT NULL,
        credentials TEXT NOT NULL,
        params TEXT NOT NULL,
        base_url TEXT,
        allow_remote_base_url INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        tenant TEXT,
        status TEXT NOT NULL DEFAULT 'active',
        updated_at TEXT,
        auth_failed_at TEXT,
        auth_failure_reason TEXT
    )""",
    "CREATE INDEX integrated_accounts_tenant ON integrated_accounts (tenant)",
    """CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        name TEXT,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    "CREATE TABLE unifold_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE unifold_schema (version INTEGER NOT NULL)",
)
V0_TO_V1 = (
    "ALTER TABLE integrated_accounts ADD COLUMN tenant TEXT",
    "ALTER TABLE integrated_accounts ADD COLUMN status TEXT NOT NULL DEFAULT 'active'",
    "ALTER TABLE integrated_accounts ADD COLUMN updated_at TEXT",
    "ALTER TABLE integrated_accounts ADD COLUMN auth_failed_at TEXT",
    "ALTER TABLE integrated_accounts ADD COLUMN auth_failure_reason TEXT",
    *SCHEMA_V1[1:],
)


class Tx(Protocol):
    """One open transaction (or autocommit connection) of a backend."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[tuple[Any, ...]], int]:
        """Run one statement with `?` placeholders; return its rows and rowcount."""
        ...


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@dataclass
class LockedAccount:
    """An account read under its lock (`AccountStore.locked`): `save` writes in the same
    transaction, committed when the `with` block ends."""

    account: IntegratedAccount | None
    _save: Callable[[IntegratedAccount], None]

    def save(self, account: IntegratedAccount) -> None:
        self._save(account)
        self.account = account


class AccountStore:
    """Accounts, tenants' API tokens and the schema, over one backend connection.

    Safe to share between threads (statements are serialized by a lock); processes share it
    through the database itself.
    """

    location: str  # for messages: a path, or a URL without its password
    _cipher: Cipher

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._decoded: dict[str, tuple[tuple[Any, ...], IntegratedAccount]] = {}
        # Accounts served without a read while `_seen` (the backend's data version, this
        # store's write count) still holds; emptied the moment either moves.
        self._accounts: dict[str, IntegratedAccount] = {}
        self._writes = 0
        self._seen: tuple[Any, int] | None = None

    # -- what a backend provides ------------------------------------------------------------

    def _tx(self) -> AbstractContextManager[Tx]:
        """A write transaction on the main connection (the caller holds `_lock`)."""
        raise NotImplementedError

    def _schema_tx(self) -> AbstractContextManager[Tx]:
        """The transaction that creates or migrates the schema."""
        return self._tx()

    def _autocommit(self) -> Tx:
        """The main connection, one statement at a time (the caller holds `_lock`)."""
        raise NotImplementedError

    def _account_lock(self, account_id: str) -> AbstractContextManager[Tx]:
        """A transaction that holds one account's row lock until it ends, across processes."""
        raise NotImplementedError

    def _describe(self, exc: Exception) -> str | None:
        """A reason for a backend exception, or None when it is not the backend's."""
        raise NotImplementedError

    def _data_version(self) -> Any:
        """A cheap value that changes whenever another connection or process commits to the
        store (this store's own writes are counted apart), or None when the backend has no
        such check: then every `get` reads the row."""
        return None

    def close(self) -> None:
        raise NotImplementedError

    def _forget_accounts(self) -> None:
        """Drop every decrypted account this store keeps (on close: no secret outlives it)."""
        with self._lock:
            self._accounts.clear()
            self._decoded.clear()

    # -- shared machinery -------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"

    def __enter__(self) -> AccountStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except errors.UnifoldError:
            raise
        except Exception as exc:
            reason = self._describe(exc)
            if reason is None:
                raise
            raise errors.StoreError(
                f"cannot {action} in the account store {self.location}: {reason}",
                location=self.location,
            ) from exc

    def _read(self, action: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._guard(action), self._lock:
            return self._autocommit().execute(sql, params)[0]

    def _write(self, action: str, sql: str, params: Sequence[Any] = ()) -> int:
        with self._guard(action), self._lock, self._wrote(), self._tx() as tx:
            return tx.execute(sql, params)[1]

    @contextmanager
    def _wrote(self) -> Iterator[None]:
        """Around a write of this store's own connections: no account read before it (or
        during it, uncommitted) is served after it, whether it commits or rolls back."""
        try:
            yield
        finally:
            with self._lock:
                self._writes += 1
                self._accounts.clear()

    def _prepare_schema(self, migrate_v0: Callable[[Tx], None] | None = None) -> None:
        """Create, migrate or check the schema, then check the key against the store."""
        with self._guard("open the schema"), self._lock:
            version = self._version(self._autocommit())
            if version != SCHEMA_VERSION:
                with self._schema_tx() as tx:
                    version = self._version(tx)  # again, now that we hold the write lock
                    if version is None:
                        for statement in SCHEMA_V1:
                            tx.execute(statement)
                    elif version == 0:
                        if migrate_v0 is None:
                            raise errors.StoreError(
                                f"{self.location} has accounts but no schema version",
                                location=self.location,
                            )
                        migrate_v0(tx)
                    elif version > SCHEMA_VERSION:
                        raise errors.StoreError(
                            f"the account store {self.location} has schema version {version}, "
                            f"written by a newer unifold (this one reads up to "
                            f"{SCHEMA_VERSION}); upgrade unifold",
                            location=self.location,
                        )
                    if version != SCHEMA_VERSION:
                        tx.execute("DELETE FROM unifold_schema")
                        tx.execute("INSERT INTO unifold_schema VALUES (?)", (SCHEMA_VERSION,))
            self._check_key()

    def _version(self, tx: Tx) -> int | None:
        tables = self._tables(tx)
        if "unifold_schema" in tables:
            rows = tx.execute("SELECT version FROM unifold_schema")[0]
            return int(rows[0][0]) if rows else 0
        return 0 if "integrated_accounts" in tables else None

    def _tables(self, tx: Tx) -> set[str]:
        raise NotImplementedError

    def _check_key(self) -> None:
        rows = self._autocommit().execute(
            "SELECT value FROM unifold_meta WHERE name = 'key_check'"
        )[0]
        if not rows:
            with self._tx() as tx:
                if not tx.execute("SELECT value FROM unifold_meta WHERE name = 'key_check'")[0]:
                    tx.execute(
                        "INSERT INTO unifold_meta VALUES ('key_check', ?)",
                        (self._cipher.key_check(),),
                    )
                    return
            rows = self._autocommit().execute(
                "SELECT value FROM unifold_meta WHERE name = 'key_check'"
            )[0]
        if not self._cipher.opens(rows[0][0]):
            raise errors.StoreKeyError(
                f"the key from {self._cipher.source} is not the key of the account store "
                f"{self.location}; use the key it was created with (nothing was changed)",
                location=self.location,
            )

    def has_key_check(self) -> bool:
        """Whether the store already holds encrypted data (so its key must not be replaced)."""
        with self._guard("open the schema"), self._lock:
            tx = self._autocommit()
            if "unifold_meta" not in self._tables(tx):
                return False
            return bool(tx.execute("SELECT 1 FROM unifold_meta WHERE name = 'key_check'")[0])

    # -- accounts ---------------------------------------------------------------------------

    def _encode(self, account: IntegratedAccount) -> tuple[Any, ...]:
        return (
            account.id,
            account.integration,
            account.environment,
            self._cipher.seal(account.id, dict(account.credentials)),
            json.dumps(account.params, sort_keys=True),
            account.base_url,
            int(account.allow_remote_base_url),
            account.created_at,
            account.tenant,
            account.status,
            account.updated_at or account.created_at,
            account.auth_failed_at,
            account.auth_failure_reason,
        )

    def _decode(self, row: tuple[Any, ...]) -> IntegratedAccount:
        """The account of a row; ValueError (naming the column, never a value) if damaged."""
        from unifold.generated.crm.registry import INTEGRATIONS

        values = dict(zip(ACCOUNT_COLUMNS, row, strict=True))
        if values["integration"] not in INTEGRATIONS:
            raise ValueError(f"its integration {values['integration']!r} is not known")
        if values["environment"] not in ("production", "sandbox"):
            raise ValueError("its environment is neither 'production' nor 'sandbox'")
        if values["status"] not in ("active", "needs_reauth"):
            raise ValueError("its status is neither 'active' nor 'needs_reauth'")
        credentials = self._cipher.open(values["id"], values["credentials"] or "")
        if not _str_map(credentials):
            raise ValueError("its credentials are not a mapping of strings")
        try:
            params = json.loads(values["params"])
        except (TypeError, ValueError):
            params = None
        if not _str_map(params):
            raise ValueError("its params are not a JSON object of strings")
        return IntegratedAccount(
            id=values["id"],
            integration=values["integration"],
            environment=values["environment"],
            credentials=Credentials(credentials),
            params=params,
            base_url=values["base_url"],
            allow_remote_base_url=bool(values["allow_remote_base_url"]),
            created_at=values["created_at"],
            tenant=values["tenant"],
            status=values["status"],
            updated_at=values["updated_at"] or values["created_at"],
            auth_failed_at=values["auth_failed_at"],
            auth_failure_reason=values["auth_failure_reason"],
        )

    def _decode_or_raise(self, row: tuple[Any, ...]) -> IntegratedAccount:
        # The row is always read; only its decryption and checks are reused while it is
        # byte-for-byte the same (a changed or deleted account is never served from here).
        decoded = self._decoded.get(row[0])
        if decoded is not None and decoded[0] == row:
            return decoded[1]
        try:
            account = self._decode(row)
        except ValueError as exc:
            raise errors.CorruptAccountError(
                f"account {row[0]} in {self.location} cannot be read: {exc}; delete it and "
                "create it again",
                location=self.location,
                account_id=str(row[0]),
            ) from None
        if len(self._decoded) >= CACHED_ACCOUNTS:
            self._decoded.clear()
        self._decoded[row[0]] = (row, account)
        return account

    @staticmethod
    def _scope(tenant: str | None) -> tuple[str, tuple[Any, ...]]:
        return (" AND tenant = ?", (tenant,)) if tenant is not None else ("", ())

    def add(self, account: IntegratedAccount) -> None:
        with self._guard(f"add account {account.id}"), self._lock, self._wrote(), self._tx() as tx:
            placeholders = ", ".join("?" for _ in ACCOUNT_COLUMNS)
            tx.execute(
                f"INSERT INTO integrated_accounts ({', '.join(ACCOUNT_COLUMNS)}) "
                f"VALUES ({placeholders})",
                self._encode(account),
            )

    def get(self, account_id: str, tenant: str | None = None) -> IntegratedAccount | None:
        """The account, or None when there is none (or it belongs to another tenant)."""
        if not isinstance(account_id, str):
            return None
        with self._guard(f"read account {account_id}"), self._lock:
            # The version is read before the row: a commit landing in between makes the next
            # `get` read again, never the other way round.
            seen = (self._data_version(), self._writes)
            if seen != self._seen:
                self._accounts.clear()
                self._seen = seen
            elif (cached := self._accounts.get(account_id)) is not None:
                return cached if tenant is None or cached.tenant == tenant else None
            where, params = self._scope(tenant)
            rows = self._autocommit().execute(
                f"{_SELECT_ACCOUNT} WHERE id = ?{where}", (account_id, *params)
            )[0]
            if not rows:
                self._decoded.pop(account_id, None)
                return None
            account = self._decode_or_raise(rows[0])
            if seen[0] is not None:
                if len(self._accounts) >= CACHED_ACCOUNTS:
                    self._accounts.clear()
                self._accounts[account_id] = account
            return account

    def list(self, tenant: str | None = None) -> list[IntegratedAccount]:
        """All accounts (of one tenant). An account that cannot be read is skipped with a
        `CorruptAccountWarning` naming it, so one damaged row does not hide the others."""
        where, params = self._scope(tenant)
        rows = self._read(
            "list accounts",
            f"{_SELECT_ACCOUNT} WHERE 1 = 1{where} ORDER BY created_at, id",
            params,
        )
        accounts = []
        for row in rows:
            try:
                accounts.append(self._decode(row))
            except ValueError as exc:
                message = f"skipped account {row[0]} in {self.location}: {exc}"
                logger.warning("%s", message)
                warnings.warn(errors.CorruptAccountWarning(message), stacklevel=2)
        return accounts

    def update(self, account: IntegratedAccount, tenant: str | None = None) -> bool:
        """Write an account's mutable fields (not its id, integration, tenant or creation
        time); False when there is no such account (for this tenant)."""
        where, params = self._scope(tenant)
        with self._guard(f"update account {account.id}"), self._lock, self._wrote():
            with self._tx() as tx:
                return self._update(tx, account, where, params) > 0

    def _update(
        self, tx: Tx, account: IntegratedAccount, where: str = "", params: tuple[Any, ...] = ()
    ) -> int:
        encoded = dict(zip(ACCOUNT_COLUMNS, self._encode(account), strict=True))
        mutable = [
            c for c in ACCOUNT_COLUMNS if c not in ("id", "integration", "tenant", "created_at")
        ]
        return tx.execute(
            f"UPDATE integrated_accounts SET {', '.join(f'{c} = ?' for c in mutable)} "
            f"WHERE id = ?{where}",
            (*(encoded[c] for c in mutable), account.id, *params),
        )[1]

    def delete(self, account_id: str, tenant: str | None = None) -> bool:
        if not isinstance(account_id, str):
            return False
        where, params = self._scope(tenant)
        return (
            self._write(
                f"delete account {account_id}",
                f"DELETE FROM integrated_accounts WHERE id = ?{where}",
                (account_id, *params),
            )
            > 0
        )

    @contextmanager
    def locked(self, account_id: str) -> Iterator[LockedAccount]:
        """Hold one account's lock (across threads and processes) while reading and saving it:
        how an OAuth refresh happens exactly once. Keep the block short; it may wait for the
        provider but nothing else."""
        # `_wrote` inside the account lock: on `:memory:` that lock is the store's, and a
        # reader slipping in between the commit and the write count would be served the
        # account as it was before this save.
        with (
            self._guard(f"lock account {account_id}"),
            self._account_lock(account_id) as tx,
            self._wrote(),
        ):
            rows = tx.execute(f"{_SELECT_ACCOUNT} WHERE id = ?", (account_id,))[0]
            account = self._decode_or_raise(rows[0]) if rows else None

            def save(new: IntegratedAccount) -> None:
                if self._update(tx, new) != 1:
                    raise errors.UnknownAccountError(f"no integrated account with id {new.id!r}")

            yield LockedAccount(account, save)

    # -- tenants' API tokens ----------------------------------------------------------------

    def create_token(self, tenant: str, name: str | None = None) -> tuple[ApiToken, str]:
        """A new API token for `tenant`: the record, and its plaintext (shown this once)."""
        if tenant is None:
            raise errors.InvalidParameterError("an API token needs a tenant", field="tenant")
        check_tenant(tenant)
        if name is not None and (not isinstance(name, str) or not _NAME.fullmatch(name)):
            raise errors.InvalidParameterError(
                "a token name must be None or 1-200 printable characters on one line",
                field="name",
            )
        plaintext = "uft_" + secrets.token_urlsafe(32)
        token = ApiToken(id=str(uuid.uuid4()), tenant=tenant, name=name, created_at=now_iso())
        self._write(
            "create an API token",
            "INSERT INTO api_tokens (id, tenant, name, token_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token.id, tenant, name, _hash_token(plaintext), token.created_at),
        )
        return token, plaintext

    def verify_token(self, plaintext: str) -> ApiToken | None:
        """The live token whose plaintext this is, or None (unknown, malformed or revoked)."""
        if not isinstance(plaintext, str) or not 0 < len(plaintext) <= 256:
            return None
        digest = _hash_token(plaintext)
        rows = self._read(
            "verify an API token",
            f"SELECT {_TOKEN_COLUMNS}, token_hash FROM api_tokens "
            "WHERE token_hash = ? AND revoked_at IS NULL",
            (digest,),
        )
        if not rows or not hmac.compare_digest(rows[0][5], digest):
            return None
        return ApiToken(*rows[0][:5])

    def list_tokens(self, tenant: str | None = None) -> builtins.list[ApiToken]:
        where, params = self._scope(tenant)
        rows = self._read(
            "list API tokens",
            f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE 1 = 1{where} ORDER BY created_at, id",
            params,
        )
        return [ApiToken(*row) for row in rows]

    def revoke_token(self, token_id: str) -> bool:
        if not isinstance(token_id, str):
            return False
        return (
            self._write(
                "revoke an API token",
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (now_iso(), token_id),
            )
            > 0
        )


def _str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def default_location() -> str:
    """`$UNIFOLD_DATABASE_URL`, else `$UNIFOLD_STORE`, else ~/.unifold/accounts.sqlite3."""
    return (
        os.environ.get(DATABASE_URL_ENV) or os.environ.get(SQLITE_PATH_ENV) or DEFAULT_SQLITE_PATH
    )


def open_store(location: Any = None, *, key: str | None = None) -> AccountStore:
    """The store at `location`: a SQLite path (or ":memory:"), a `postgresql://` URL, or None
    for the default (`default_location()`)."""
    if location is None:
        location = default_location()
    if isinstance(location, str) and location.startswith(("postgresql://", "postgres://")):
        from unifold._accounts.postgres import PostgresStore

        return PostgresStore(location, key=key)
    if isinstance(location, str | Path) and str(location).strip():
        from unifold._accounts.sqlite import SQLiteStore

        return SQLiteStore(location, key=key)
    raise errors.InvalidParameterError(
        f"store must be a SQLite path, ':memory:', a postgresql:// URL, an AccountStore or "
        f"None (the default store), not {type(location).__name__}"
        + (" ''" if isinstance(location, str | Path) else ""),
        field="store",
        accepted=["path", ":memory:", "postgresql://...", "AccountStore", None],
    )
