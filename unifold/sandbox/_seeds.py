"""Helpers for readable, valid seed ids (pure functions, no imports). Each emulator module holds
its own seed data (`SandboxProvider`'s contract)."""

from __future__ import annotations


def uuid_id(kind: str, n: int) -> str:
    """Readable, valid UUIDs: the first group names the kind of record."""
    return f"{kind:0<8}-0000-4000-8000-{n:012x}"


def teamleader_id(kind: str, n: int) -> str:
    return f"{kind:0<8}-7e57-4d1e-9a1b-{n:012x}"
