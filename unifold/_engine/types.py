"""Small shared types of the mapping engine."""

from __future__ import annotations

from typing import TypedDict


class RefDict(TypedDict, total=False):
    """A unified reference as read hooks return it: `{"id": ..., "name": ...}`."""

    id: str
    name: str | None
