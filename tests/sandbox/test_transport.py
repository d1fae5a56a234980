"""Package-level behaviour: transports, ASGI app, seeds, import cost, the serve command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._net import free_port, stopped_on_exit
from unifold.sandbox import (
    INTEGRATIONS,
    SANDBOX_CREDENTIALS,
    SEED_PROJECT_IDS,
    SEED_REFERENCES,
    SandboxTransport,
    asgi_app,
    create_provider,
)

from .conftest import ClientFactory, auth_headers

REPO = Path(__file__).resolve().parents[2]


def get_path(integration: str, project_id: str) -> tuple[str, str, dict[str, Any] | None]:
    return {
        "capsule": ("GET", f"/api/v2/kases/{project_id}", None),
        "insightly": ("GET", f"/v3.1/Projects/{project_id}", None),
        "pipeliner": ("GET", f"/api/v100/rest/spaces/s1/entities/Projects/{project_id}", None),
        "planhat": ("GET", f"/projects/{project_id}", None),
        "teamleader": ("POST", "/projects-v2/projects.info", {"id": project_id}),
    }[integration]


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_seeds_and_credentials(make_client: ClientFactory, integration: str) -> None:
    provider, client = make_client(integration)
    assert provider.integration == integration
    assert provider.credentials == SANDBOX_CREDENTIALS[integration]
    assert len(SEED_PROJECT_IDS[integration]) >= 3 and SEED_REFERENCES[integration]
    for project_id in SEED_PROJECT_IDS[integration]:
        method, path, body = get_path(integration, project_id)
        assert client.request(method, path, json=body).status_code == 200
    assert len(provider.received) == len(SEED_PROJECT_IDS[integration])
    assert all(isinstance(r.query, tuple) for r in provider.received)


def test_received_records_query_and_json(make_client: ClientFactory) -> None:
    provider, client = make_client("capsule")
    client.put("/api/v2/kases/12", params={"embed": "tags"}, json={"kase": {"name": "A"}})
    request = provider.received[-1]
    assert (request.method, request.path) == ("PUT", "/api/v2/kases/12")
    assert request.query == (("embed", "tags"),)
    assert request.json == {"kase": {"name": "A"}}
    client.post("/api/v2/kases", content=b"{not json", headers={"content-type": "application/json"})
    assert provider.received[-1].json is None


def test_create_provider_unknown() -> None:
    with pytest.raises(ValueError, match="unknown integration"):
        create_provider("salesforce")


def test_import_is_cheap() -> None:
    code = (
        "import sys, unifold.sandbox as s;"
        "assert 'unifold.sandbox._transport' not in sys.modules;"
        "assert 'unifold.sandbox.capsule' not in sys.modules;"
        "s.create_provider('capsule');"
        "assert 'unifold.sandbox.capsule' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


def test_thread_safety() -> None:
    provider = create_provider("planhat")
    provider.clock = lambda: 1_800_000_000.0
    client = httpx.Client(
        transport=SandboxTransport(provider),
        base_url="http://sandbox.test",
        headers=auth_headers("planhat"),
    )
    project = SEED_PROJECT_IDS["planhat"][0]

    def work(n: int) -> None:
        for i in range(20):
            client.put(f"/projects/{project}", json={"custom": {f"k{n}-{i}": i}})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    custom = client.get(f"/projects/{project}").json()["custom"]
    assert sum(1 for key in custom if key.startswith("k")) == 160
    assert len(provider.received) == 161


async def test_async_transport() -> None:
    provider = create_provider("teamleader")
    async with httpx.AsyncClient(
        transport=SandboxTransport(provider),
        base_url="http://sandbox.test",
        headers=auth_headers("teamleader"),
    ) as client:
        response = await client.post("/projects-v2/projects.list", json={})
    assert response.status_code == 200 and len(response.json()["data"]) == 3


async def test_asgi_app_through_httpx() -> None:
    provider = create_provider("capsule")
    for i in range(400):  # a list response larger than one 64 KiB chunk
        provider.put_project({"name": f"Bulk {i}", "description": "x" * 300})
    transport = httpx.ASGITransport(app=asgi_app(provider))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox.test", headers=auth_headers("capsule")
    ) as client:
        one = await client.get("/api/v2/kases/12", params={"embed": "tags"})
        assert one.status_code == 200
        assert one.json()["kase"]["tags"][0]["name"] == "Priority"
        assert one.headers["x-ratelimit-limit"] == "4000"
        big = await client.get("/api/v2/kases", params={"perPage": 100})
        assert len(big.content) > 64 * 1024 and len(big.json()["kases"]) == 100
        assert big.links["next"]["url"].startswith("http://sandbox.test/api/v2/kases?")
        updated = await client.put("/api/v2/kases/12", json={"kase": {"name": "Via ASGI"}})
        assert updated.json()["kase"]["name"] == "Via ASGI"
        assert (await client.delete("/api/v2/kases/13")).status_code == 204
        assert (
            await client.get("/api/v2/kases/12", headers={"Authorization": ""})
        ).status_code == 401
    assert provider.received[-1].path == "/api/v2/kases/12"


async def test_asgi_lifespan_and_chunks() -> None:
    app = asgi_app(create_provider("planhat"))
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]

    sent.clear()
    body = json.dumps({"name": "Chunked", "companyId": SEED_REFERENCES["planhat"]["companies"][0]})
    parts = [
        {"type": "http.request", "body": body[:10].encode(), "more_body": True},
        {"type": "http.request", "body": body[10:].encode(), "more_body": False},
    ]

    async def receive_body() -> dict[str, Any]:
        return parts.pop(0)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/projects",
        "query_string": b"",
        "scheme": "http",
        "server": ("127.0.0.1", 9),
        "headers": [(b"authorization", b"Bearer sandbox-planhat-token")],
    }
    await app(scope, receive_body, send)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    assert sent[-1]["more_body"] is False
    assert json.loads(b"".join(m["body"] for m in sent[1:]))["name"] == "Chunked"


def test_serve_command() -> None:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "unifold.sandbox", "serve", "planhat", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    with stopped_on_exit(process):
        deadline = time.monotonic() + 20
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/projects",
                    headers=auth_headers("planhat"),
                    timeout=2,
                )
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        assert response is not None, process.stdout.read() if process.stdout else ""
        assert response.status_code == 200 and len(response.json()) == 3


def test_serve_refuses_public_host() -> None:
    command = [sys.executable, "-m", "unifold.sandbox", "serve", "capsule", "--port", "1"]
    result = subprocess.run(
        [*command, "--host", "0.0.0.0"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr
