"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`.

Where the key comes from, first match wins:
1. the `key=` argument of the store;
2. `UNIFOLD_STORE_KEY`: one or more Fernet keys separated by commas (the first encrypts, all
   decrypt, so a key can be rotated);
3. `UNIFOLD_STORE_KEY_FILE`: a file holding such keys;
4. SQLite only: `<store file>.key` beside the store, created private (0600) with the store.

A ciphertext is bound to its account id, so a row copied onto another account does not open.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from unifold import _errors as errors

KEY_ENV = "UNIFOLD_STORE_KEY"
KEY_FILE_ENV = "UNIFOLD_STORE_KEY_FILE"
# Encrypted and kept in the store, so a wrong key is told from a damaged row.
_KEY_CHECK = b"unifold store key check v1"


class Cipher:
    """Encrypts one account's credentials; knows which key source it came from (for messages)."""

    def __init__(self, keys: list[str], source: str) -> None:
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys if k.strip()])
        except (ValueError, TypeError) as exc:
            raise errors.StoreKeyError(
                f"the store key from {source} is not a Fernet key (44 url-safe base64 "
                f'characters; make one with `python -c "from cryptography.fernet import '
                f'Fernet; print(Fernet.generate_key().decode())"`)',
                location=source,
            ) from exc
        self.source = source

    @classmethod
    def ephemeral(cls) -> Cipher:
        return cls([Fernet.generate_key().decode()], "a random key (in-memory store)")

    def key_check(self) -> str:
        return self._fernet.encrypt(_KEY_CHECK).decode()

    def opens(self, key_check: str) -> bool:
        try:
            return self._fernet.decrypt(key_check.encode()) == _KEY_CHECK
        except InvalidToken:
            return False

    def seal(self, account_id: str, credentials: dict[str, str]) -> str:
        plain = json.dumps({"account": account_id, "credentials": credentials})
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, account_id: str, sealed: str) -> Any:
        """The credentials object, or raise ValueError saying what is wrong (never a secret)."""
        try:
            data = json.loads(self._fernet.decrypt(sealed.encode()))
        except (InvalidToken, ValueError) as exc:
            raise ValueError("its credentials do not decrypt with the store key") from exc
        if not isinstance(data, dict) or data.get("account") != account_id:
            raise ValueError("its credentials belong to another account")
        return data.get("credentials")


def _read_key_file(path: Path) -> list[str]:
    try:
        return path.read_text().replace("\n", ",").split(",")
    except OSError as exc:
        raise errors.StoreKeyError(
            f"cannot read the store key file {path} ({exc.strerror})", location=str(path)
        ) from exc


def configured_cipher(key: str | None) -> Cipher | None:
    """The cipher from the argument or the environment, or None when neither gives a key."""
    if key is not None:
        return Cipher(key.split(","), "the key= argument")
    if env := os.environ.get(KEY_ENV):
        return Cipher(env.split(","), f"${KEY_ENV}")
    if file := os.environ.get(KEY_FILE_ENV):
        path = Path(file).expanduser()
        return Cipher(_read_key_file(path), str(path))
    return None


def key_file_cipher(path: Path, *, create: bool) -> Cipher | None:
    """The cipher from the key file beside a SQLite store. With `create`, a missing file is made
    (0600, refusing to follow or replace anything already there)."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            import warnings

            warnings.warn(
                f"the store key file {path} can be read by other users; chmod 600 it",
                stacklevel=4,
            )
        return Cipher(_read_key_file(path), str(path))
    if not create:
        return None
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key + b"\n")
    except OSError as exc:
        raise errors.StoreKeyError(
            f"cannot create the store key file {path} ({exc.strerror}); set ${KEY_ENV} instead",
            location=str(path),
        ) from exc
    return Cipher([key.decode()], str(path))
