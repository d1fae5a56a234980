"""What the server answers: Truto's envelopes for results, Truto's body for errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from unifold import _errors as errors
from unifold._client import AsyncProviderStream
from unifold._engine.flows import Page

log = logging.getLogger("unifold.server")


def error_body(status: int, message: str) -> dict[str, Any]:
    """Truto's body for errors of its own (auth, routing): exactly these three keys."""
    return {"statusCode": status, "error": HTTPStatus(status).phrase, "message": message}


def error_response(exc: errors.UnifoldError) -> JSONResponse:
    headers = {}
    if isinstance(exc, errors.ProviderRateLimitError) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(0, round(exc.retry_after)))
    return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)


def store_error_response(exc: errors.StoreError, method: str, path: str) -> JSONResponse:
    # Where the store is and what broke is for the operator's log, not for API callers.
    log.error("account store error on %s %s: %s", method, path, exc)
    if isinstance(exc, errors.CorruptAccountError):
        body = error_body(500, "this integrated account cannot be read; ask the operator")
        return JSONResponse(body, status_code=500)
    body = error_body(503, "the account store is unavailable; try again later")
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


async def on_unifold_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.UnifoldError)
    if isinstance(exc, errors.StoreError):
        return store_error_response(exc, request.method, request.url.path)
    return error_response(exc)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = exc.detail
    return JSONResponse(
        error_body(exc.status_code, message), status_code=exc.status_code, headers=exc.headers
    )


async def on_unexpected(request: Request, exc: Exception) -> Response:
    # The traceback goes to the server log only; the caller gets Truto's body, no internals.
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body(500, "internal server error"), status_code=500)


def dump(record: Any) -> Any:
    """A unified record as the spec types it: unset and null fields left out (a field the
    integration does not return, or one excluded, is absent), `remote_data` untouched."""
    if isinstance(record, BaseModel):
        return record.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    return record


async def _chunks(stream: AsyncProviderStream) -> AsyncIterator[bytes]:
    try:
        # chunk_size=None: each piece as it arrives (a size would hold bytes back to fill it).
        async for chunk in stream.aiter_bytes(None):
            yield chunk
    finally:  # also when the caller hangs up mid-stream
        await stream.aclose()


def result_response(result: Any, status: int = 200) -> Response:
    """The library's result for one call, on the wire."""
    if isinstance(result, AsyncProviderStream):
        # The provider's status and bytes, passed on chunk by chunk as they arrive.
        return StreamingResponse(
            _chunks(result),
            status_code=result.status_code,
            media_type=result.headers.get("content-type", "application/octet-stream"),
        )
    if isinstance(result, Page):
        return JSONResponse(
            {
                "result": [dump(r) for r in result.result],
                "next_cursor": result.next_cursor,
                "result_count": result.result_count,
            },
            status_code=status,
        )
    if isinstance(result, str):  # `raw` of a provider body that is not JSON
        return PlainTextResponse(result, status_code=status)
    return JSONResponse(dump(result), status_code=status)
