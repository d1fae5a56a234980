"""The PostgreSQL backend (psycopg 3), selected by a `postgresql://` URL (e.g. from
`$UNIFOLD_DATABASE_URL`). The key must come from `$UNIFOLD_STORE_KEY`, `$UNIFOLD_STORE_KEY_FILE`
or `key=`: a database server has no private folder to keep one beside it.

The schema is created under a transaction-scoped advisory lock, so servers starting together
do not race; an account's lock is its row's `SELECT ... FOR UPDATE`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from unifold import _errors as errors
from unifold._accounts.crypto import KEY_ENV, KEY_FILE_ENV, configured_cipher
from unifold._accounts.store import AccountStore, Tx

CONNECT_TIMEOUT = 10  # seconds
_SCHEMA_LOCK = 0x756E69666F6C64  # "unifold": the advisory lock taken while creating the schema


def redact(url: str) -> str:
    """The URL without its password (for messages and reprs). The query is left out whole:
    libpq takes `password=` (and `sslpassword=`) there too."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    netloc = f"{userinfo}@{hostport}" if at else hostport
    return urlunsplit(parts._replace(netloc=netloc, query="", fragment=""))


class _PgTx:
    def __init__(self, db: Any) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[tuple[Any, ...]], int]:
        cursor = self.db.execute(sql.replace("?", "%s"), tuple(params))
        rows = cursor.fetchall() if cursor.description is not None else []
        return rows, cursor.rowcount


class PostgresStore(AccountStore):
    def __init__(self, url: str, *, key: str | None = None) -> None:
        super().__init__()
        self._url = url
        try:
            self.location = redact(url)
        except ValueError:
            self.location = "postgresql://(malformed URL)"
        cipher = configured_cipher(key)
        if cipher is None:
            raise errors.StoreKeyError(
                f"a PostgreSQL account store needs its encryption key in ${KEY_ENV} (or a file "
                f"named by ${KEY_FILE_ENV}); none is set",
                location=self.location,
            )
        self._cipher = cipher
        with self._guard("connect"):
            self._db = self._connect()
        try:
            self._prepare_schema()
        except BaseException:
            self._db.close()
            raise

    def _connect(self) -> Any:
        try:
            import psycopg
        except ImportError as exc:
            raise errors.StoreError(
                "a postgresql:// account store needs psycopg: pip install 'unifold[postgres]'",
                location=self.location,
            ) from exc
        return psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)

    def _tables(self, tx: Tx) -> set[str]:
        rows = tx.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )[0]
        return {name for (name,) in rows}

    def _autocommit(self) -> Tx:
        if self._db.closed or self._db.broken:  # a restarted server: connect again, once
            self._db = self._connect()
        return _PgTx(self._db)

    @contextmanager
    def _tx(self) -> Iterator[Tx]:
        tx = self._autocommit()
        with self._db.transaction():
            yield tx

    @contextmanager
    def _schema_tx(self) -> Iterator[Tx]:
        with self._tx() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
            yield tx

    @contextmanager
    def _account_lock(self, account_id: str) -> Iterator[Tx]:
        # Its own connection: the row lock is held while a provider answers, and this
        # process's other statements must not queue behind it.
        db = self._connect()
        try:
            with db.transaction():
                tx = _PgTx(db)
                tx.execute(
                    "SELECT 1 FROM integrated_accounts WHERE id = ? FOR UPDATE", (account_id,)
                )
                yield tx
        finally:
            db.close()

    def _describe(self, exc: Exception) -> str | None:
        import psycopg

        if not isinstance(exc, psycopg.Error):
            return None
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return text.replace(self._url, self.location)[:300]

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self._forget_accounts()
