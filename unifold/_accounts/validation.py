"""Account validation: an account is checked against its integration's matrix before it is
stored, so a bad one is refused before any request. Values of credentials never reach a message.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from unifold import _errors as errors
from unifold._accounts.model import Credentials, IntegratedAccount
from unifold._oauth.providers import OAUTH_CREDENTIALS
from unifold._oauth.providers import PROVIDERS as OAUTH_PROVIDERS

_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
_SINGLE_LINE = re.compile(r"[^\x00-\x1f\x7f]+")
_TENANT = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_tenant(tenant: Any) -> None:
    """A tenant is an opaque name chosen by the server's operator: short, one printable line."""
    if tenant is not None and (not isinstance(tenant, str) or not _TENANT.fullmatch(tenant)):
        raise errors.AccountConfigError(
            "tenant must be None or 1-200 printable characters on one line",
            field="tenant",
        )


def _base_url_ok(base_url: Any) -> bool:
    if not isinstance(base_url, str) or any(c.isspace() or ord(c) < 32 for c in base_url):
        return False
    parts = urlsplit(base_url)
    try:
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not parts.query
        and not parts.fragment
        and parts.username is None
    )


def check_account(
    integration: str,
    environment: str,
    credentials: Mapping[str, Any],
    params: Mapping[str, Any],
    base_url: str | None,
    allow_remote_base_url: bool,
) -> dict[str, str]:
    """Validate an account against its integration's matrix; return params with defaults."""
    from unifold.generated.crm.registry import INTEGRATIONS, load

    if integration not in INTEGRATIONS:
        raise errors.AccountConfigError(
            f"unknown integration {integration!r}; available: {', '.join(sorted(INTEGRATIONS))}",
            field="integration",
            accepted=sorted(INTEGRATIONS),
        )
    if environment not in ("production", "sandbox"):
        raise errors.AccountConfigError(
            f"environment must be 'production' or 'sandbox', not {environment!r}",
            field="environment",
            integration=integration,
            accepted=["production", "sandbox"],
        )
    provider = load(integration).SPEC.provider
    wanted = sorted(provider.auth.credentials)
    # An OAuth integration also takes a grant (see unifold/_oauth), told by its refresh token.
    oauth = integration in OAUTH_PROVIDERS
    grant = oauth and isinstance(credentials, Mapping) and "refresh_token" in credentials
    if grant:
        wanted = sorted(OAUTH_CREDENTIALS)
    alternative = (
        f" (or, for an OAuth grant, {sorted(OAUTH_CREDENTIALS)}: see accounts.connect)"
        if oauth and not grant
        else ""
    )
    # Only the expected names reach a message: never a value, nor a key the caller typed (a
    # secret pasted in the wrong place would otherwise be echoed).
    if not isinstance(credentials, Mapping):
        raise errors.AccountConfigError(
            f"{integration} credentials must be a mapping with the keys {wanted}{alternative}",
            field="credentials",
            integration=integration,
            accepted=wanted,
        )
    missing = [k for k in wanted if k not in credentials]
    unexpected = sum(1 for k in credentials if k not in wanted)
    if missing or unexpected:
        raise errors.AccountConfigError(
            f"{integration} credentials need exactly the keys {wanted}{alternative}; "
            f"missing {missing}, {unexpected} unexpected key(s)",
            field="credentials",
            integration=integration,
            accepted=wanted,
        )
    # A bearer token goes into a header as is; Basic credentials are base64-encoded (UTF-8),
    # so there only line breaks and control characters are refused.
    allowed = _HEADER_SAFE if provider.auth.scheme == "bearer" or grant else _SINGLE_LINE
    for key in wanted:
        value = credentials[key]
        if grant and key == "expires_at" and not (isinstance(value, str) and value.isdigit()):
            raise errors.AccountConfigError(
                f"{integration} credential 'expires_at' must be the access token's expiry in "
                "epoch seconds, as a string of digits",
                field="credentials.expires_at",
                integration=integration,
            )
        if not isinstance(value, str) or not allowed.fullmatch(value):
            raise errors.AccountConfigError(
                f"{integration} credential {key!r} must be a non-empty string"
                + (
                    " of printable ASCII (it goes into an HTTP header as is)"
                    if allowed is _HEADER_SAFE
                    else " on one line"
                ),
                field=f"credentials.{key}",
                integration=integration,
            )
    out: dict[str, str] = {}
    if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
        raise errors.AccountConfigError(
            f"{integration} params must be a mapping of parameter names to strings; it takes "
            f"{sorted(provider.params)}",
            field="params",
            integration=integration,
            accepted=sorted(provider.params),
        )
    unknown = sorted(set(params) - set(provider.params))
    if unknown:
        # Names and values a caller typed are not echoed: a pasted secret would be.
        raise errors.AccountConfigError(
            f"{integration} does not take {len(unknown)} of the given parameter(s) (names not "
            f"shown); it takes only {sorted(provider.params)}",
            field="params",
            integration=integration,
            accepted=sorted(provider.params),
        )
    for name, spec in provider.params.items():
        value = params.get(name, spec.default)
        if value is None and environment == "sandbox":
            value = spec.example
        if value is None:  # refused before any request: a guessed value fails every call
            raise errors.AccountConfigError(
                f"{integration} accounts need the parameter {name!r}, {spec.description} "
                f"(e.g. params={{{name!r}: {spec.example!r}}})",
                field=f"params.{name}",
                integration=integration,
                accepted=spec.pattern,
            )
        if not isinstance(value, str) or not re.fullmatch(spec.pattern, value):
            raise errors.AccountConfigError(
                f"{integration} parameter {name!r} (the given {type(value).__name__}, not "
                f"shown) must match {spec.pattern} "
                f"({spec.description}; e.g. {spec.example!r})",
                field=f"params.{name}",
                integration=integration,
                accepted=spec.pattern,
            )
        out[name] = value
    if base_url is not None:
        if not _base_url_ok(base_url):
            # The URL itself is not echoed: it may carry the very credentials it is refused for.
            raise errors.AccountConfigError(
                "base_url must be an absolute http(s) URL with a valid port and no credentials, "
                "query, fragment or whitespace (e.g. http://127.0.0.1:8000/api/v2)",
                field="base_url",
                integration=integration,
            )
        parts = urlsplit(base_url)
        assert parts.hostname is not None
        if not is_loopback(parts.hostname) and not allow_remote_base_url:
            raise errors.AccountConfigError(
                f"base_url host {parts.hostname!r} is not a loopback address; pass "
                f"allow_remote_base_url=True to send {integration} credentials there",
                field="base_url",
                integration=integration,
            )
        if not is_loopback(parts.hostname) and parts.scheme != "https":
            # Credentials in every request: off this machine, only over TLS.
            raise errors.AccountConfigError(
                f"base_url must use https for a host that is not loopback; {integration} "
                f"credentials would cross the network in clear text",
                field="base_url",
                integration=integration,
                accepted="https://...",
            )
    return out


def new_account(
    integration: str,
    environment: str,
    credentials: Mapping[str, Any] | None,
    params: Mapping[str, Any] | None,
    base_url: str | None,
    allow_remote_base_url: bool,
    tenant: str | None = None,
    account_id: str | None = None,
) -> IntegratedAccount:
    check_tenant(tenant)
    if credentials is None and environment == "sandbox":
        from unifold.sandbox import SANDBOX_CREDENTIALS

        credentials = SANDBOX_CREDENTIALS.get(integration, {})
    if credentials is None:
        raise errors.AccountConfigError(
            f"{integration} accounts need credentials (or environment='sandbox')",
            field="credentials",
            integration=integration,
        )
    checked = check_account(
        integration, environment, credentials, params or {}, base_url, allow_remote_base_url
    )
    now = datetime.now(UTC).isoformat()
    return IntegratedAccount(
        id=account_id or str(uuid.uuid4()),
        integration=integration,
        environment=environment,  # type: ignore[arg-type]
        credentials=Credentials(credentials),
        params=checked,
        base_url=base_url,
        allow_remote_base_url=allow_remote_base_url,
        created_at=now,
        updated_at=now,
        tenant=tenant,
    )


def updated_account(
    account: IntegratedAccount,
    credentials: Mapping[str, Any] | None,
    params: Mapping[str, Any] | None,
) -> IntegratedAccount:
    """The account with new credentials (replacing them whole) and/or params (merged over the
    current ones), validated exactly like a new account; the id and creation time stay. New
    credentials make a `needs_reauth` account active again (the last failure stays on record)."""
    if params is not None and not isinstance(params, Mapping):
        raise errors.AccountConfigError(
            f"{account.integration} params must be a mapping",
            field="params",
            integration=account.integration,
        )
    new_credentials = account.credentials if credentials is None else credentials
    new_params = {**account.params, **(params or {})}
    checked = check_account(
        account.integration,
        account.environment,
        new_credentials,
        new_params,
        account.base_url,
        account.allow_remote_base_url,
    )
    return IntegratedAccount(
        id=account.id,
        integration=account.integration,
        environment=account.environment,
        credentials=Credentials(new_credentials),
        params=checked,
        base_url=account.base_url,
        allow_remote_base_url=account.allow_remote_base_url,
        created_at=account.created_at,
        tenant=account.tenant,
        status="active" if credentials is not None else account.status,
        updated_at=datetime.now(UTC).isoformat(),
        auth_failed_at=account.auth_failed_at,
        auth_failure_reason=account.auth_failure_reason,
    )
