"""Every request needs a tenant's token; a tenant sees only its own integrated accounts."""

from __future__ import annotations

import httpx

from tests.server.conftest import Server, new_account
from unifold.sandbox import SEED_PROJECT_IDS

PID = SEED_PROJECT_IDS["capsule"][0]


def _assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"statusCode", "error", "message"}
    assert body["statusCode"] == 401 and body["error"] == "Unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


BAD_HEADERS = [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer uf_wrong"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "uf_no_scheme"},
]
ROUTES = [
    ("GET", "/unified/crm/projects"),
    ("PATCH", f"/unified/crm/projects/{PID}"),
    ("GET", "/integrated-account"),
    ("POST", "/integrated-account"),
    ("GET", "/openapi.json"),
    ("GET", "/no/such/route"),
]


def test_no_valid_token_is_401(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for headers in BAD_HEADERS:
            for method, path in ROUTES:
                _assert_401(client.request(method, path, headers=headers, json={"name": "x"}))


def test_revoked_token_is_401_at_once(server: Server) -> None:
    token, plaintext = server.context.store.create_token("acme", "short-lived")
    headers = {"Authorization": f"Bearer {plaintext}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        assert client.get("/integrated-account").status_code == 200
        assert server.context.store.revoke_token(token.id) is True
        _assert_401(client.get("/integrated-account"))


def test_another_tenants_account_is_a_404_like_a_missing_one(server: Server) -> None:
    missing = "62f44730-dd91-461e-bd6a-aedd9e0ad79d"
    with server.client("acme") as acme, server.client("globex") as globex:
        theirs = new_account(acme, "capsule")
        assert acme.get(f"/integrated-account/{theirs}").status_code == 200
        for account in (theirs, missing):
            responses = [
                globex.get(f"/integrated-account/{account}"),
                globex.patch(f"/integrated-account/{account}", json={"params": {}}),
                globex.delete(f"/integrated-account/{account}"),
                globex.get(f"/unified/crm/projects?integrated_account_id={account}"),
                globex.get(f"/unified/crm/projects/{PID}?integrated_account_id={account}"),
                globex.patch(
                    f"/unified/crm/projects/{PID}?integrated_account_id={account}",
                    json={"name": "stolen"},
                ),
                globex.post(
                    f"/unified/crm/projects?integrated_account_id={account}", json={"name": "x"}
                ),
                globex.delete(f"/unified/crm/projects/{PID}?integrated_account_id={account}"),
            ]
            for response in responses:
                assert response.status_code == 404, response.text
                assert response.json() == {
                    "statusCode": 404,
                    "error": "Not Found",
                    "message": f"no integrated account with id {account!r}",
                }
        # Nothing reached acme's provider, and acme's account is untouched.
        assert not [r for r in server.sandbox(theirs).received if r.method != "GET"]
        assert theirs not in [a["id"] for a in globex.get("/integrated-account").json()["result"]]
        assert acme.get(f"/integrated-account/{theirs}").status_code == 200


def test_account_lifecycle_never_shows_credentials(server: Server) -> None:
    secret = "prod-capsule-secret-token"
    with server.client("acme") as acme:
        created = acme.post(
            "/integrated-account",
            json={
                "integration": "capsule",
                "environment": "production",
                "credentials": {"token": secret},
            },
        )
        assert created.status_code == 201, created.text
        account = created.json()
        assert set(account) == {
            "id",
            "tenant_id",
            "integration",
            "environment",
            "params",
            "status",
            "created_at",
            "updated_at",
        }
        assert account["tenant_id"] == "acme" and account["integration"] == "capsule"
        listed = acme.get("/integrated-account")
        assert account["id"] in [a["id"] for a in listed.json()["result"]]
        assert acme.get(f"/integrated-account/{account['id']}").json() == account
        if server.store is not None:  # encrypted at rest
            assert secret not in server.store.read_bytes().decode("latin-1")
        patched = acme.patch(
            f"/integrated-account/{account['id']}", json={"credentials": {"token": "rotated"}}
        )
        assert patched.status_code == 200 and patched.json()["id"] == account["id"]
        stored = server.context.client.accounts.get(account["id"])
        assert stored.credentials["token"] == "rotated"
        for response in (created, listed, patched):
            assert secret not in response.text and "rotated" not in response.text
        deleted = acme.delete(f"/integrated-account/{account['id']}")
        assert deleted.json() == {"id": account["id"]}
        assert acme.get(f"/integrated-account/{account['id']}").status_code == 404


def test_bad_account_bodies_are_typed_400s(acme: httpx.Client) -> None:
    cases = [
        {"integration": "nope", "environment": "sandbox"},
        {"integration": "capsule", "environment": "staging"},
        {"integration": "capsule", "environment": "production"},
        {"integration": "capsule", "environment": "production", "credentials": {"tok": "x"}},
        {"integration": "capsule", "environment": "sandbox", "credentials": "x"},
        {"integration": "capsule", "environment": "sandbox", "base_url": "http://10.0.0.1"},
        {"environment": "sandbox"},
    ]
    for body in cases:
        response = acme.post("/integrated-account", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["statusCode"] == 400
