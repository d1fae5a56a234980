"""Credential values never show up in a repr, an error message or an error body."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from unifold import (
    AccountConfigError,
    PartialWriteError,
    ProviderAuthError,
    ProviderNotFoundError,
    ProviderValidationError,
    Unifold,
    UnifoldError,
    UnsupportedFieldError,
)
from unifold._oauth import OAUTH_CREDENTIALS
from unifold.sandbox import SANDBOX_CREDENTIALS

from .conftest import (
    INTEGRATIONS,
    REFS,
    UNKNOWN_PROJECT,
    SandboxFactory,
    credential_keys,
    needs_name,
)

# Credentials of accounts the tests make up themselves (sandbox accounts refuse them: 401).
WRONG_CREDENTIALS = {
    "capsule": {"token": "tok-capsule-5f1e8a"},
    "insightly": {"api_key": "key-insightly-77c2d0"},
    "pipeliner": {"username": "user-pipeliner-19ab", "password": "pw-pipeliner-e03f42"},
    "planhat": {"token": "tok-planhat-a81b4c"},
    "teamleader": {"access_token": "tok-teamleader-6d2e90"},
}
# Any other integration: made-up values for the credential keys its matrix declares.
for _name in INTEGRATIONS:
    WRONG_CREDENTIALS.setdefault(
        _name, {key: f"made-up-{_name}-{key}-5f1e8a" for key in credential_keys(_name)}
    )


def secrets_of(credentials: dict[str, str]) -> Iterator[str]:
    values = list(credentials.values())
    yield from values
    # The Basic/Bearer forms that go into the Authorization header.
    joined = ":".join(values) if len(values) > 1 else values[0] + ":"
    yield base64.b64encode(joined.encode()).decode()


ALL_SECRETS = [
    secret
    for creds in (*SANDBOX_CREDENTIALS.values(), *WRONG_CREDENTIALS.values())
    for secret in secrets_of(creds)
]


def exposed_text(error: UnifoldError) -> str:
    """Everything an error shows: message, str, repr, its body and its attributes."""
    parts: list[Any] = [str(error), repr(error), error.message, json.dumps(error.to_dict())]
    parts.append(repr(vars(error)))
    cause = getattr(error, "cause", None)
    if cause is not None:
        parts.extend([str(cause), repr(vars(cause))])
    return "\n".join(str(p) for p in parts)


def assert_no_secret(text: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_account_repr_hides_credentials(make_sandbox: SandboxFactory, integration: str) -> None:
    sb = make_sandbox(integration)
    account = sb.account
    # Teamleader and Capsule sandbox accounts hold an OAuth grant from their emulator.
    keys = OAUTH_CREDENTIALS if integration in ("capsule", "teamleader") else None
    expected = SANDBOX_CREDENTIALS[integration] if keys is None else dict.fromkeys(keys)
    assert set(account.credentials) == set(expected)  # they are there
    if keys is None:
        assert dict(account.credentials) == expected
    own = [
        account.credentials[k]
        for k in ("access_token", "refresh_token", "client_secret")
        if keys is not None
    ]

    for text in (repr(account), str(account), repr(account.credentials), str(account.credentials)):
        assert_no_secret(text)
        assert not any(secret in text for secret in own)
    for key in expected:
        assert f"{key}='**********'" in repr(account.credentials)
    assert_no_secret(repr(sb.client.accounts.list()))
    assert_no_secret(repr(sb.client.accounts.get(account.id)))


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_rejected_credentials_are_not_echoed(client: Unifold, integration: str) -> None:
    account = client.accounts.create(
        integration, WRONG_CREDENTIALS[integration], environment="sandbox"
    )
    assert_no_secret(repr(account))

    with pytest.raises(ProviderAuthError) as caught:
        client.crm.projects.update(
            UNKNOWN_PROJECT[integration],
            needs_name(integration, {"name": "x"}),
            integrated_account_id=account.id,
        )
    assert caught.value.status_code == 401
    assert caught.value.to_dict()["truto_is_remote_error"] is True
    assert_no_secret(exposed_text(caught.value))


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_malformed_credentials_are_not_echoed(client: Unifold, integration: str) -> None:
    bad = {key: value + "\nsecond-line" for key, value in WRONG_CREDENTIALS[integration].items()}
    with pytest.raises(AccountConfigError) as caught:
        client.accounts.create(integration, bad, environment="sandbox")
    assert_no_secret(exposed_text(caught.value))

    extra = {**WRONG_CREDENTIALS[integration], "unexpected": "tok-capsule-5f1e8a"}
    with pytest.raises(AccountConfigError) as caught:
        client.accounts.create(integration, extra)
    assert "unexpected" in caught.value.message
    assert_no_secret(exposed_text(caught.value))


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_errors_of_a_sandbox_account_carry_no_secret(
    make_sandbox: SandboxFactory, integration: str
) -> None:
    sb = make_sandbox(integration)
    errors: list[UnifoldError] = []
    for body, project_id, expected in (
        ({"no_such_field": 1}, sb.pid, UnsupportedFieldError),
        ({"name": "x"}, UNKNOWN_PROJECT[integration], ProviderNotFoundError),
    ):
        with pytest.raises(expected) as caught:
            sb.update(needs_name(integration, body), project_id=project_id)
        errors.append(caught.value)
    for error in errors:
        assert_no_secret(exposed_text(error))


def test_provider_validation_and_partial_write_errors_carry_no_secret(
    make_sandbox: SandboxFactory,
) -> None:
    capsule = make_sandbox("capsule")
    with pytest.raises(ProviderValidationError) as invalid:
        capsule.update({"account": {"id": "999"}})
    assert_no_secret(exposed_text(invalid.value))

    teamleader = make_sandbox("teamleader")
    with pytest.raises(PartialWriteError) as partial:
        teamleader.update(
            {
                "name": "x",
                "account": {"id": REFS["teamleader"]["companies"][1]},
                "opportunity": [{"id": "de000000-7e57-4d1e-9a1b-0000000000ff"}],
            }
        )
    assert_no_secret(exposed_text(partial.value))
