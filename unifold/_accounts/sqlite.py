"""The SQLite backend: a file (default ~/.unifold/accounts.sqlite3) or ":memory:".

WAL mode with a busy timeout lets several processes share one file; a write takes the
database's write lock (`BEGIN IMMEDIATE`), which is also the cross-process account lock.
Files are created private (directories 0700, store and key 0600); an existing file's mode is
the operator's and is never changed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from unifold import _errors as errors
from unifold._accounts.crypto import Cipher, configured_cipher, key_file_cipher
from unifold._accounts.store import AccountStore, Tx

BUSY_TIMEOUT = 30.0  # seconds a writer waits for another one (process or thread) to finish


class _SqliteTx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[tuple[Any, ...]], int]:
        cursor = self.db.execute(sql, params)
        return cursor.fetchall(), cursor.rowcount


@contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[Tx]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield _SqliteTx(db)
        db.execute("COMMIT")  # a failed COMMIT (busy, disk full) must not leave it open either
    except BaseException:
        db.rollback()
        raise


def _private_parents(folder: Path) -> None:
    """Create the missing folders down to `folder`, each 0700 (existing ones stay as they are)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700)
        path.chmod(0o700)  # mkdir's mode is filtered by the umask


def _v1_params(integration: str, params: str) -> str:
    """Version 0 Pipeliner accounts named a `region`; version 1 keeps the Service URL it
    stood for."""
    try:
        values = json.loads(params)
    except (TypeError, ValueError):
        return params
    if integration == "pipeliner" and isinstance(values, dict) and "region" in values:
        values["service_url"] = f"https://{values.pop('region')}.api.pipelinersales.com"
        return json.dumps(values, sort_keys=True)
    return params


class SQLiteStore(AccountStore):
    def __init__(self, path: str | Path, *, key: str | None = None) -> None:
        super().__init__()
        self.memory = str(path) == ":memory:"
        try:
            self._file = None if self.memory else Path(path).expanduser().absolute()
        except RuntimeError as exc:  # "~" with no home directory
            raise errors.StoreError(
                f"cannot open the account store {path}: {exc}; pass store= a full path",
                location=str(path),
            ) from exc
        self.location = ":memory:" if self._file is None else str(self._file)
        created = False
        try:
            if self._file is not None:
                created = self._create_file(self._file)
            self._db = self._connect()
        except OSError as exc:
            raise errors.StoreError(
                f"cannot open the account store {self.location}: {exc.strerror}",
                location=self.location,
            ) from exc
        except sqlite3.Error as exc:
            raise errors.StoreError(
                f"cannot open the account store {self.location}: {self._reason(exc)}",
                location=self.location,
            ) from exc
        try:
            self._cipher = self._find_cipher(key, created)
            self._prepare_schema(self._migrate_v0)
            self._check_columns()
        except BaseException:
            self._db.close()
            raise

    # -- opening ----------------------------------------------------------------------------

    @staticmethod
    def _create_file(file: Path) -> bool:
        _private_parents(file.parent)
        try:
            os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return True
        except FileExistsError:
            pass
        mode = file.stat().st_mode
        if stat.S_ISREG(mode) and mode & 0o077:
            warnings.warn(
                f"the account store {file} can be read by other users (mode "
                f"{oct(mode & 0o777)}); its credentials are encrypted, but chmod 600 it",
                stacklevel=4,
            )
        return False

    def _connect(self, timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.location, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        # Deleted and overwritten rows are zeroed, not left readable in free pages.
        db.execute("PRAGMA secure_delete = ON")
        if not self.memory:
            try:
                db.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError:
                pass  # a read-only store keeps its journal mode; reads still work
        return db

    def _find_cipher(self, key: str | None, created: bool) -> Cipher:
        cipher = configured_cipher(key)
        if cipher is not None:
            return cipher
        if self._file is None:
            return Cipher.ephemeral()
        key_file = self._file.with_name(self._file.name + ".key")
        cipher = key_file_cipher(key_file, create=False)
        if cipher is not None:
            return cipher
        if not created and self.has_key_check():
            raise errors.StoreKeyError(
                f"the account store {self.location} is encrypted but its key file {key_file} "
                f"is missing; restore it or set $UNIFOLD_STORE_KEY (nothing was changed)",
                location=self.location,
            )
        cipher = key_file_cipher(key_file, create=True)
        assert cipher is not None
        return cipher

    def _migrate_v0(self, tx: Tx) -> None:
        """Version 0 (plaintext credentials) to 1: new columns and tables, every credential
        encrypted in place (secure_delete zeroes the plaintext it replaces)."""
        from unifold._accounts.store import V0_TO_V1

        for statement in V0_TO_V1:
            tx.execute(statement)
        rows = tx.execute("SELECT id, integration, credentials, params FROM integrated_accounts")
        for account_id, integration, plain, params in rows[0]:
            try:
                credentials = json.loads(plain)
            except (TypeError, ValueError):
                credentials = plain  # stays unreadable, but no longer in the clear
            tx.execute(
                "UPDATE integrated_accounts SET credentials = ?, params = ?, "
                "updated_at = created_at WHERE id = ?",
                (
                    self._cipher.seal(account_id, credentials),
                    _v1_params(integration, params),
                    account_id,
                ),
            )

    def _check_columns(self) -> None:
        with self._guard("open the schema"), self._lock:
            rows = self._db.execute("PRAGMA table_info(integrated_accounts)").fetchall()
        from unifold._accounts.store import ACCOUNT_COLUMNS

        missing = sorted(set(ACCOUNT_COLUMNS) - {row[1] for row in rows})
        if missing:
            raise errors.StoreError(
                f"{self.location} is not a unifold account store: its integrated_accounts "
                f"table lacks {missing}",
                location=self.location,
            )

    # -- the backend interface --------------------------------------------------------------

    def _tables(self, tx: Tx) -> set[str]:
        rows = tx.execute("SELECT name FROM sqlite_master WHERE type = 'table'")[0]
        return {name for (name,) in rows}

    def _autocommit(self) -> Tx:
        return _SqliteTx(self._db)

    def _tx(self) -> Any:
        return _immediate(self._db)

    @contextmanager
    def _account_lock(self, account_id: str) -> Iterator[Tx]:
        if self.memory:  # one connection only: the store's lock is the account lock
            with self._lock, _immediate(self._db) as tx:
                yield tx
            return
        # Its own connection, so the write lock held while a provider answers does not stop
        # this process's readers (WAL lets them read on).
        db = self._connect()
        try:
            with _immediate(db) as tx:
                yield tx
        finally:
            db.close()

    @staticmethod
    def _reason(exc: sqlite3.Error) -> str:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return f"another writer held it for more than {BUSY_TIMEOUT:.0f} s ({text})"
        if "readonly" in text:
            return "it is read-only for this user (check the file's and folder's permissions)"
        if isinstance(exc, sqlite3.DatabaseError) and (
            "not a database" in text or "malformed" in text
        ):
            return f"the file is damaged or not a SQLite database ({text})"
        return text

    def _data_version(self) -> int:
        if self.memory:  # one connection, ours: only our own writes (counted apart) change it
            return 0
        # Moves when another connection commits: https://www.sqlite.org/pragma.html#pragma_data_version
        row = self._db.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def _describe(self, exc: Exception) -> str | None:
        return self._reason(exc) if isinstance(exc, sqlite3.Error) else None

    def close(self) -> None:
        with self._lock:
            self._db.close()
        self._forget_accounts()
