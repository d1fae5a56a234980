"""Reading a JSON request body: content type, size cap, syntax, shape."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from unifold import _errors as errors

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class PayloadTooLargeError(errors.UnifoldValidationError):
    status_code = 413


class UnsupportedMediaTypeError(errors.UnifoldValidationError):
    status_code = 415


def _json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    # `curl -d` labels a body form-encoded unless told otherwise; Truto's own curl examples
    # send JSON that way, so the label is read as "a body", and the JSON parse decides.
    return media in ("", "application/json", "application/x-www-form-urlencoded") or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if not _json_media_type(content_type):
        raise UnsupportedMediaTypeError(
            f"the request body must be JSON (Content-Type: application/json), not "
            f"{content_type.split(';', 1)[0]!r}",
            field="Content-Type",
            accepted=["application/json"],
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLargeError(
            f"the request body is {declared} bytes; at most {max_bytes} are accepted",
            field="body",
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # counted as it arrives: no trust in the header
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLargeError(f"the request body exceeds {max_bytes} bytes", field="body")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise errors.InvalidFieldValueError(
            "the request body is empty; send a JSON object", field="body"
        )
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise errors.InvalidFieldValueError(
            "the request body is not UTF-8 text", field="body"
        ) from None
    except (ValueError, RecursionError) as exc:
        detail = (
            f" ({exc.msg} at line {exc.lineno} column {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise errors.InvalidFieldValueError(
            f"the request body is not valid JSON{detail}", field="body"
        ) from None
    if not isinstance(data, dict):
        raise errors.InvalidFieldValueError(
            f"the request body must be a JSON object, not {type(data).__name__}", field="body"
        )
    return data
