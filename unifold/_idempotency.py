"""Idempotent creates: what became of each `idempotency_key`, kept beside the account store.

A create carries a key (the caller's, or a fresh one). When the provider answers it, the key
records the new project; when the answer is unclear (a 5xx, no answer) the key records when
that happened, so a create retried with the same key first looks for the project it may have
made, in the way the integration's matrix names (`create.idempotency.find`), instead of making a
second one. A SQLite store keeps the log in a file beside it (shared by every process using the
store); a `:memory:` store keeps it per client.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unifold import _errors as errors

KEY_MAX = 200


@dataclass
class CreateKey:
    """One keyed create, as the create flow sees it."""

    key: str
    known_id: str | None  # a create with this key already made this project
    unclear_since: float | None  # an earlier attempt ended unclearly at this time (epoch s)
    started: float  # when this attempt started (epoch s), bounding the search for it
    log: CreateLog | None  # None: a key made for one call, kept nowhere
    account_id: str

    def done(self, project_id: str) -> None:
        self.known_id = project_id
        if self.log is not None:
            self.log.done(self.account_id, self.key, project_id)

    def unclear(self) -> None:
        self.unclear_since = self.unclear_since or self.started
        if self.log is not None:
            self.log.unclear(self.account_id, self.key, self.unclear_since)

    def refused(self) -> None:
        if self.unclear_since is None and self.log is not None:
            self.log.forget(self.account_id, self.key)


def check_key(key: Any, integration: str) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_MAX or not key.isprintable():
        raise errors.InvalidParameterError(
            f"idempotency_key must be a non-empty printable string of at most {KEY_MAX} "
            f"characters, not {errors.shown(key)}",
            field="idempotency_key",
            integration=integration,
        )
    return key


class CreateLog:
    def __init__(self, path: Path | None) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            ":memory:" if path is None else str(path), timeout=30, check_same_thread=False
        )
        with self._lock, self._db:
            if path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS creates (account TEXT NOT NULL, key TEXT NOT NULL, "
                "project TEXT, unclear_since REAL, PRIMARY KEY (account, key))"
            )

    @classmethod
    def beside(cls, store: Any) -> CreateLog:
        file = getattr(store, "_file", None)
        if isinstance(file, Path):
            return cls(file.with_name(file.name + ".creates"))
        return cls(None)

    def start(self, account_id: str, key: str) -> CreateKey:
        with self._lock:
            row = self._db.execute(
                "SELECT project, unclear_since FROM creates WHERE account = ? AND key = ?",
                (account_id, key),
            ).fetchone()
        project, since = row if row else (None, None)
        return CreateKey(key, project, since, time.time(), self, account_id)

    def done(self, account_id: str, key: str, project_id: str) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO creates (account, key, project) VALUES (?, ?, ?) ON CONFLICT "
                "(account, key) DO UPDATE SET project = excluded.project, unclear_since = NULL",
                (account_id, key, project_id),
            )

    def unclear(self, account_id: str, key: str, since: float) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO creates (account, key, unclear_since) VALUES (?, ?, ?) ON CONFLICT "
                "(account, key) DO UPDATE SET unclear_since = min(coalesce(unclear_since, "
                "excluded.unclear_since), excluded.unclear_since)",
                (account_id, key, since),
            )

    def forget(self, account_id: str, key: str) -> None:
        with self._lock, self._db:
            self._db.execute(
                "DELETE FROM creates WHERE account = ? AND key = ? AND project IS NULL",
                (account_id, key),
            )

    def close(self) -> None:
        self._db.close()
