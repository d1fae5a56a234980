"""Small helpers shared by the provider emulators."""

from __future__ import annotations

import base64
import binascii
import collections
import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from unifold.sandbox._base import Handler, Route, SandboxResponse

JSON_TYPE = "application/json; charset=utf-8"
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> SandboxResponse:
    # A lone surrogate a client stored ("\ud800" in its JSON) must not break every later read.
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    body = text.encode("utf-8", "replace")
    return SandboxResponse(status, [("Content-Type", JSON_TYPE), *(headers or [])], body)


def text_response(status: int, text: str) -> SandboxResponse:
    return SandboxResponse(status, [("Content-Type", "text/plain; charset=utf-8")], text.encode())


def empty_response(status: int, headers: list[tuple[str, str]] | None = None) -> SandboxResponse:
    return SandboxResponse(status, list(headers or []), b"")


def route(method: str, pattern: str, handler: Handler, flags: int = 0) -> Route:
    return Route(method, re.compile(pattern, flags), handler)


# ---------------------------------------------------------------------- auth


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def basic_credentials(headers: Mapping[str, str]) -> tuple[str, str] | None:
    value = headers.get("authorization", "")
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    return user, password


# ---------------------------------------------------------------------- rate limits


class FixedWindow:
    """A counter that resets every ``seconds`` (Capsule hourly, Insightly daily, Planhat minute)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.window_start = 0.0
        self.count = 0

    def hit(self, now: float) -> bool:
        if now >= self.window_start + self.seconds:
            self.window_start = now - (now % self.seconds)
            self.count = 0
        self.count += 1
        return self.count <= self.limit

    @property
    def used(self) -> int:
        return self.count

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def reset(self) -> float:
        return self.window_start + self.seconds


class SlidingWindow:
    """Requests in the last ``seconds`` (Teamleader: a sliding minute)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.hits: collections.deque[float] = collections.deque()
        self.last = 0.0

    def hit(self, now: float) -> bool:
        self.last = now
        while self.hits and self.hits[0] <= now - self.seconds:
            self.hits.popleft()
        self.hits.append(now)
        return len(self.hits) <= self.limit

    @property
    def used(self) -> int:
        return len(self.hits)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - len(self.hits))

    @property
    def reset(self) -> float:
        oldest = self.hits[0] if self.hits else self.last
        return oldest + self.seconds


# ---------------------------------------------------------------------- values


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_ymd(value: Any) -> date | None:
    """A strict ``YYYY-MM-DD`` date, or None when the value is not one."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_strptime(value: Any, fmt: str) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, fmt)
    except ValueError:
        return None


def int_arg(value: str | None, default: int) -> int | None:
    """A non-negative integer query argument; None when present but malformed."""
    if value is None or value == "":
        return default
    if not re.fullmatch(r"\d+", value):
        return None
    return int(value)
