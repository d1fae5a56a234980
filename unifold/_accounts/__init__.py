"""Integrated accounts: the model, their validation, and the store that keeps them (encrypted,
schema-versioned, on SQLite or PostgreSQL), plus the server's tenants and API tokens.

    model.py       IntegratedAccount, Credentials, ApiToken
    validation.py  an account checked against its integration's matrix
    crypto.py      credentials encrypted at rest (Fernet) and where the key comes from
    store.py       AccountStore: the interface and everything both backends share
    sqlite.py      the SQLite backend (a file or ":memory:")
    postgres.py    the PostgreSQL backend (psycopg 3)
"""

from unifold._accounts.model import (
    AccountStatus,
    ApiToken,
    Credentials,
    Environment,
    IntegratedAccount,
)
from unifold._accounts.store import AccountStore, LockedAccount, default_location, open_store
from unifold._accounts.validation import check_account, check_tenant, is_loopback, new_account

__all__ = [
    "AccountStatus",
    "AccountStore",
    "ApiToken",
    "Credentials",
    "Environment",
    "IntegratedAccount",
    "LockedAccount",
    "check_account",
    "check_tenant",
    "default_location",
    "is_loopback",
    "new_account",
    "open_store",
]
