"""`ProviderStream` and `AsyncProviderStream`: the `stream` response format, never buffered."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx

from unifold import _errors as errors


def _stream_error(response: httpx.Response, exc: Exception) -> errors.ProviderConnectionError:
    return errors.ProviderConnectionError(
        f"the provider's stream broke off ({type(exc).__name__})",
        status_code=502,
        integration=response.request.url.host,
        method=response.request.method,
        url=str(response.request.url.copy_with(query=None)),
    )


class ProviderStream:
    """The provider's response, not buffered: iterate it, then close it (or use `with`)."""

    def __init__(self, response: httpx.Response, warnings: list[str] | None = None) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.warnings = warnings or []

    def iter_bytes(self, chunk_size: int | None = 65536) -> Iterator[bytes]:
        try:
            yield from self._response.iter_bytes(chunk_size)
        except httpx.RequestError as exc:
            raise _stream_error(self._response, exc) from exc

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_bytes()

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> ProviderStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncProviderStream:
    """The async twin of `ProviderStream`."""

    def __init__(self, response: httpx.Response, warnings: list[str] | None = None) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.warnings = warnings or []

    async def aiter_bytes(self, chunk_size: int | None = 65536) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes(chunk_size):
                yield chunk
        except httpx.RequestError as exc:
            raise _stream_error(self._response, exc) from exc

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.aiter_bytes()

    async def aclose(self) -> None:
        await self._response.aclose()

    async def __aenter__(self) -> AsyncProviderStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
