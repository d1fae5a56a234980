"""Typed errors. Every one carries Truto's error body (`to_dict()`), never a credential.

Our own validation errors are raised before anything is sent; provider errors keep the
provider's status, message and raw body.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

__all__ = [
    "UnifoldError",
    "UnifoldValidationError",
    "UnsupportedFieldError",
    "MissingRequiredFieldError",
    "InvalidEnumValueError",
    "InvalidFieldValueError",
    "InvalidIdError",
    "InvalidParameterError",
    "UnknownAccountError",
    "IntegrationMismatchError",
    "HookNotImplementedError",
    "AccountConfigError",
    "UnsupportedModuleError",
    "ConflictError",
    "UnclearCreateError",
    "ProviderError",
    "ProviderValidationError",
    "ProviderNotFoundError",
    "ProviderAuthError",
    "ProviderRateLimitError",
    "ProviderConflictError",
    "ProviderServerError",
    "ProviderConnectionError",
    "ProviderResponseError",
    "ResponseTooLargeError",
    "PartialWriteError",
    "WriteAppliedError",
    "WriteProgress",
    "DroppedFieldsWarning",
    "StoreError",
    "StoreKeyError",
    "CorruptAccountError",
    "CorruptAccountWarning",
    "OAuthError",
    "ReauthRequiredError",
]

SHOWN_CHARS = 100  # an echoed input value, at most
PROVIDER_TEXT_CHARS = 500  # provider text copied into a message, at most
REDACTED = "[redacted]"


def shown(value: Any) -> str:
    """`repr(value)` for a message, cut to SHOWN_CHARS: a 1 MB id must not make a 1 MB error."""
    if isinstance(value, str | bytes) and len(value) > SHOWN_CHARS:
        return f"{value[:SHOWN_CHARS]!r}... ({len(value)} long)"
    try:
        text = repr(value)
    except Exception:  # a caller's object whose repr fails is still named
        text = f"<{type(value).__name__}>"
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}... ({len(text)} chars)"


def redact(value: Any, secrets: tuple[str, ...]) -> Any:
    """`value` (text, or JSON data) with every secret replaced by REDACTED."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {redact(k, secrets): redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, secrets) for v in value]
    return value


def scrub(error: BaseException, secrets: tuple[str, ...]) -> None:
    """Redact `secrets` from an error about to reach the caller, in place: its message, the
    provider's body and headers it keeps, and the errors it wraps."""
    if not secrets or not isinstance(error, UnifoldError):
        return
    error.message = redact(error.message, secrets)
    error.args = tuple(redact(a, secrets) if isinstance(a, str) else a for a in error.args)
    if isinstance(error, ProviderError):
        error.raw_response = redact(error.raw_response, secrets)
        error.headers = redact(error.headers, secrets)
    cause = getattr(error, "cause", None)
    if isinstance(cause, BaseException):
        scrub(cause, secrets)


def provider_text(text: str, secrets: tuple[str, ...]) -> str:
    """Provider text fit for one of our messages: secrets redacted, length bounded."""
    text = redact(text, secrets)
    if len(text) > PROVIDER_TEXT_CHARS:
        text = text[:PROVIDER_TEXT_CHARS] + "..."
    return text


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class UnifoldError(Exception):
    """Base of every unifold error."""

    status_code: int = 500

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code

    def to_dict(self) -> dict[str, Any]:
        """Truto's error body: `{statusCode, error, message, ...}`."""
        return {
            "statusCode": self.status_code,
            "error": _reason(self.status_code),
            "message": self.message,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code})"


class UnifoldValidationError(UnifoldError):
    """A request unifold refused before sending anything (400)."""

    status_code = 400
    insight_key = "invalid_body_fields"
    insight_description = "Fields whose value the integration does not accept"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        integration: str | None = None,
        accepted: Any = None,
        fields: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.integration = integration
        self.accepted = accepted
        self.fields = fields if fields is not None else ([field] if field else [])

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        if self.fields:
            body["truto_error_insight"] = {
                self.insight_key: {"description": self.insight_description, "value": self.fields}
            }
        return body


class UnsupportedFieldError(UnifoldValidationError):
    insight_key = "unsupported_body_fields"
    insight_description = "Fields the integration does not support for this operation"


class MissingRequiredFieldError(UnifoldValidationError):
    insight_key = "missing_required_body_fields"
    insight_description = "Fields the integration requires for this operation"


class InvalidEnumValueError(UnifoldValidationError):
    insight_key = "invalid_enum_values"
    insight_description = "Fields whose value is not one the integration accepts"


class InvalidFieldValueError(UnifoldValidationError):
    pass


class InvalidIdError(UnifoldValidationError):
    insight_key = "invalid_path_parameters"
    insight_description = "Path parameters the integration would not accept"


class InvalidParameterError(UnifoldValidationError):
    insight_key = "invalid_query_parameters"
    insight_description = "Query parameters that are not valid"


class UnknownAccountError(UnifoldError):
    status_code = 404


class IntegrationMismatchError(UnifoldValidationError):
    """A per-integration client (`uf.crm.capsule.projects`) called with another integration's
    account; raised before any request."""

    insight_key = "invalid_integrated_account"
    insight_description = "The integrated account belongs to another integration"


class HookNotImplementedError(UnifoldError):
    """An integration whose hand-written hooks still hold generated skeleton methods; raised
    before any request."""

    status_code = 501


class AccountConfigError(UnifoldValidationError):
    insight_key = "invalid_account_configuration"
    insight_description = "Account settings the integration would not accept"


class UnsupportedModuleError(AccountConfigError):
    """The account uses a provider API module unifold does not target (a Teamleader account
    still on the legacy projects module): nothing was sent to the project endpoints."""

    insight_key = "unsupported_provider_module"
    insight_description = "The provider module the account uses, and the one unifold needs"


class ConflictError(UnifoldError):
    """The record changed at the provider between unifold's read and its write (a stale
    ETag, or a re-read that differs): nothing was written. Read it again and retry."""

    status_code = 409

    def __init__(
        self, message: str, *, integration: str | None = None, fields: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.integration = integration
        self.fields = fields or []


class UnclearCreateError(UnifoldError):
    """An earlier create with this `idempotency_key` got no clear answer, and the integration
    offers no way to find what it may have made: nothing was sent. Check the account, then
    create with a new key if the project is not there."""

    status_code = 409

    def __init__(self, message: str, *, integration: str, key: str) -> None:
        super().__init__(message)
        self.integration = integration
        self.key = key


class ProviderError(UnifoldError):
    """The provider answered with an error. `raw_response` is its body (JSON if it parses)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        integration: str,
        raw_response: Any = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code)
        self.integration = integration
        self.raw_response = raw_response
        self.headers = headers or {}
        self.method = method
        self.url = url

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["truto_is_remote_error"] = True
        body["raw_response"] = self.raw_response
        return body


class ProviderValidationError(ProviderError):
    pass


class ProviderNotFoundError(ProviderError):
    pass


class ProviderAuthError(ProviderError):
    pass


class ProviderRateLimitError(ProviderError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["truto_error_insight"] = {
            "rate_limit_error": {
                "description": "The provider's rate limit was reached",
                "value": {"retry_after": self.retry_after},
            }
        }
        return body


class ProviderConflictError(ProviderError):
    pass


class ProviderServerError(ProviderError):
    pass


class ProviderConnectionError(ProviderError):
    """No clean answer from the provider (connection failure or timeout): 502."""


class ProviderResponseError(ProviderError):
    """The provider answered, but unifold cannot use the answer (not JSON, not a record, too
    large): 502. `provider_status` is the status it answered with; a 2xx means a write took
    effect."""

    def __init__(self, message: str, *, provider_status: int | None = None, **kw: Any) -> None:
        kw.setdefault("status_code", 502)
        super().__init__(message, **kw)
        self.provider_status = provider_status

    @property
    def provider_accepted(self) -> bool:
        return self.provider_status is not None and 200 <= self.provider_status < 300


class ResponseTooLargeError(ProviderResponseError):
    """The answer exceeded the client's `max_response_bytes` or `max_decompression_ratio`;
    it was not read further."""


class PartialWriteError(UnifoldError):
    """A write that takes several provider calls failed part-way. Nothing is rolled back:
    `applied` lists the calls the provider accepted, `failed` the call that errored (whose
    effect is unknown when the provider gave no clean answer), `not_applied` those never made."""

    def __init__(
        self, cause: ProviderError, applied: list[str], failed: str, not_applied: list[str]
    ) -> None:
        outcome = (
            "its effect is unknown"
            if isinstance(cause, ProviderConnectionError | ProviderServerError)
            else "the provider refused it"
        )
        message = (
            f"{cause.integration}: write failed part-way at '{failed}' ({outcome}): "
            f"{cause.message}. Applied: {applied or 'nothing'}. Not applied: {not_applied}."
        )
        super().__init__(message, status_code=cause.status_code)
        self.cause = cause
        self.applied = applied
        self.failed = failed
        self.not_applied = not_applied

    def to_dict(self) -> dict[str, Any]:
        body = self.cause.to_dict()
        body["message"] = self.message
        body["truto_error_insight"] = {
            "partial_write": {
                "description": "Provider calls applied before the failure, and those not applied",
                "value": {
                    "applied": self.applied,
                    "failed": self.failed,
                    "not_applied": self.not_applied,
                },
            }
        }
        return body


class WriteAppliedError(UnifoldError):
    """The provider accepted the write (`applied` lists its calls), but what came after failed:
    its answer was unreadable, or reading the project back failed. Do not send the write again;
    read the project to see its state. `not_applied` lists calls never made."""

    def __init__(
        self, cause: ProviderError, applied: list[str], not_applied: list[str] | None = None
    ) -> None:
        not_applied = not_applied or []
        message = (
            f"{cause.integration}: the write was applied ({', '.join(applied)}), but then: "
            f"{cause.message}" + (f". Not applied: {not_applied}." if not_applied else "")
        )
        super().__init__(message, status_code=502)
        self.cause = cause
        self.applied = applied
        self.not_applied = not_applied
        self.integration = cause.integration

    def to_dict(self) -> dict[str, Any]:
        body = self.cause.to_dict()
        body["statusCode"] = self.status_code
        body["error"] = _reason(self.status_code)
        body["message"] = self.message
        body["truto_error_insight"] = {
            "write_applied": {
                "description": "Provider calls that were applied before the failure",
                "value": {"applied": self.applied, "not_applied": self.not_applied},
            }
        }
        return body


@dataclass(frozen=True)
class WriteProgress:
    """How far a multi-call write got when it was cancelled (or its task timed out): found on
    the `CancelledError` as `.unifold_write_progress` (for `asyncio.timeout`/`wait_for`, on the
    `TimeoutError`'s `__cause__`). Nothing is rolled back."""

    applied: list[str]
    in_flight: str  # sent, or being sent: its effect is unknown
    not_applied: list[str]

    @staticmethod
    def of(error: BaseException) -> WriteProgress | None:
        """The progress recorded on `error` or on the error it was raised from, if any."""
        seen: BaseException | None = error
        while seen is not None:
            found = getattr(seen, "unifold_write_progress", None)
            if isinstance(found, WriteProgress):
                return found
            seen = seen.__cause__ or seen.__context__
        return None


class DroppedFieldsWarning(UserWarning):
    """`on_unsupported="drop"` dropped fields from a request (also in the result's `warnings`)."""


# --- The account store and OAuth (unifold/_accounts) ---------------------------------------


class StoreError(UnifoldError):
    """The account store cannot be opened, read or written. `location` names it (a file path, or
    a database URL without its password); the message says what to do."""

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(message, status_code=500)
        self.location = location


class StoreKeyError(StoreError):
    """The encryption key is missing, malformed, or not the one this store was written with."""


class CorruptAccountError(StoreError):
    """One stored account cannot be read back (damaged row); the others are unaffected."""

    def __init__(self, message: str, *, location: str | None = None, account_id: str) -> None:
        super().__init__(message, location=location)
        self.account_id = account_id


class CorruptAccountWarning(UserWarning):
    """`accounts.list()` skipped an account it could not read (the message says which, and why)."""


class OAuthError(UnifoldError):
    """An OAuth connect step failed: a state that does not match, or a code the provider refused.
    `reason` is the provider's error code or description (never a secret)."""

    status_code = 400

    def __init__(self, message: str, *, integration: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.integration = integration
        self.reason = reason


class ReauthRequiredError(ProviderAuthError):
    """The provider refused to refresh this account's OAuth token: the account is now
    `needs_reauth` and every call fails fast until it is connected again (or updated with new
    credentials). `reason` is the provider's (never a secret)."""

    def __init__(
        self, message: str, *, integration: str, account_id: str, reason: str | None
    ) -> None:
        super().__init__(message, status_code=401, integration=integration)
        self.account_id = account_id
        self.reason = reason
