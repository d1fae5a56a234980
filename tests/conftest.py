"""Fixtures shared by every test folder: the throwaway PostgreSQL server (tests/_postgres.py)."""

from tests._postgres import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]
