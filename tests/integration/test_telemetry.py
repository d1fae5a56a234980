"""OpenTelemetry spans (SDK in-memory exporter) and logs per operation and provider call."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from tests.integration.conftest import Sandbox
from unifold import ProviderNotFoundError, Unifold
from unifold.sandbox import SANDBOX_CREDENTIALS, SEED_REFERENCES


class _Exporter(InMemorySpanExporter):
    """Keeps spans only while this module's tests run (the global provider outlives them)."""

    recording = False

    def export(self, spans: Any) -> Any:
        if not self.recording:
            return SpanExportResult.SUCCESS
        return super().export(spans)


_EXPORTER = _Exporter()


@pytest.fixture(scope="module", autouse=True)
def _provider() -> Iterator[None]:
    # The global provider can be set once per process; later tests share it.
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
        current = trace.get_tracer_provider()
    assert isinstance(current, TracerProvider)
    if not getattr(current, "_unifold_test_exporter", False):
        current.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        current._unifold_test_exporter = True  # type: ignore[attr-defined]
    _EXPORTER.recording = True
    yield
    _EXPORTER.recording = False


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def _values(span: ReadableSpan) -> list[str]:
    return [str(v) for v in (span.attributes or {}).values()] + [span.name]


def test_teamleader_update_spans(teamleader: Sandbox, spans: InMemorySpanExporter) -> None:
    refs = SEED_REFERENCES["teamleader"]
    teamleader.update(
        {
            "name": "Traced",
            "owner": {"id": refs["users"][2]},
            "account": {"id": refs["companies"][1]},
        }
    )
    finished = spans.get_finished_spans()
    operations = [s for s in finished if s.kind == SpanKind.INTERNAL]
    calls = [s for s in finished if s.kind == SpanKind.CLIENT]
    assert [s.name for s in operations] == ["unifold projects.update"]
    op = operations[0]
    assert op.attributes == {
        "unifold.integration": "teamleader",
        "unifold.operation": "projects.update",
    }
    # One span per provider call, each a child of the operation, in order.
    assert len(calls) == len(teamleader.received) >= 5
    assert all(c.parent is not None and c.parent.span_id == op.context.span_id for c in calls)
    templates = [c.attributes["url.template"] for c in calls]
    assert templates == [r.path for r in teamleader.received]
    assert "/projects-v2/projects.update" in templates
    assert "/projects-v2/projects.addOwner" in templates
    assert templates[-1] == "/projects-v2/projects.info"  # the read-back
    for call in calls:
        assert call.attributes["unifold.integration"] == "teamleader"
        assert call.attributes["unifold.operation"] == "projects.update"
        assert call.attributes["http.request.method"] == "POST"
        assert call.attributes["http.response.status_code"] in (200, 204)
        assert call.attributes["unifold.retries"] == 0
        assert call.name == f"POST {call.attributes['url.template']}"
        assert call.status.status_code != StatusCode.ERROR
    # No credential and no id of a record or person in any attribute.
    secrets = [*SANDBOX_CREDENTIALS["teamleader"].values(), "Bearer"]
    ids = [teamleader.pid, refs["users"][2], refs["companies"][1], teamleader.account.id]
    for span in finished:
        for value in _values(span):
            assert not any(s in value for s in secrets + ids), (span.name, value)


def test_ids_in_paths_become_templates(capsule: Sandbox, spans: InMemorySpanExporter) -> None:
    capsule.get()
    (call,) = [s for s in spans.get_finished_spans() if s.kind == SpanKind.CLIENT]
    assert call.attributes["url.template"] == "/kases/{id}"
    assert call.name == "GET /kases/{id}"
    assert capsule.pid not in " ".join(_values(call))


def test_retries_and_errors_are_recorded(spans: InMemorySpanExporter) -> None:
    answers = iter([429, 200, 404])

    def provider(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        body = {"kase": {"id": 12, "name": "x"}} if status == 200 else {"message": "no"}
        return httpx.Response(status, json=body, headers={"Retry-After": "0"})

    with Unifold(
        store=":memory:", http_client=httpx.Client(transport=httpx.MockTransport(provider))
    ) as uf:
        acct = uf.accounts.create(
            "capsule", {"token": "s3cret-token"}, base_url="http://127.0.0.1:9/api/v2"
        )
        uf.crm.projects.get("12", integrated_account_id=acct.id)
        with pytest.raises(ProviderNotFoundError):
            uf.crm.projects.get("13", integrated_account_id=acct.id)
    finished = spans.get_finished_spans()
    calls = [s for s in finished if s.kind == SpanKind.CLIENT]
    assert [c.attributes["unifold.retries"] for c in calls] == [1, 0]
    assert [c.attributes["http.response.status_code"] for c in calls] == [200, 404]
    failed_call, failed_op = calls[1], finished[-1]
    assert failed_call.attributes["error.type"] == "ProviderNotFoundError"
    assert failed_call.status.status_code == StatusCode.ERROR
    assert failed_op.name == "unifold projects.get"
    assert failed_op.status.status_code == StatusCode.ERROR
    assert all("s3cret" not in v for s in finished for v in _values(s))


def test_proxy_and_fields_are_operations(planhat: Sandbox, spans: InMemorySpanExporter) -> None:
    planhat.client.proxy.request("GET", "/projects", integrated_account_id=planhat.account.id)
    planhat.client.crm.projects.fields(integrated_account_id=planhat.account.id)
    names = [s.name for s in spans.get_finished_spans()]
    assert names == [
        "GET /projects",
        "unifold proxy.request",
        "GET /customfields",
        "unifold projects.fields",
    ]


async def test_async_spans(make_async_sandbox: Any, spans: InMemorySpanExporter) -> None:
    box = make_async_sandbox("teamleader")
    await box.update({"name": "Async traced"})
    finished = spans.get_finished_spans()
    (op,) = [s for s in finished if s.kind == SpanKind.INTERNAL]
    calls = [s for s in finished if s.kind == SpanKind.CLIENT]
    assert len(calls) == len(box.received) >= 2
    assert all(c.parent is not None and c.parent.span_id == op.context.span_id for c in calls)


def test_logs_carry_the_same_fields(
    capsule: Sandbox, caplog: pytest.LogCaptureFixture, spans: InMemorySpanExporter
) -> None:
    with caplog.at_level(logging.DEBUG, logger="unifold"):
        capsule.update({"name": "Logged"})
    records = [r for r in caplog.records if hasattr(r, "unifold")]
    attempts = [r.unifold for r in records if "provider call" not in r.getMessage()]
    assert {"unifold.integration", "url.template", "http.request.method"} <= set(attempts[0])
    ended = [r.unifold for r in records if r.getMessage().startswith("provider call")]
    assert ended and all(f["url.template"] == "/kases/{id}" for f in ended)
    text = " ".join(r.getMessage() + str(getattr(r, "unifold", "")) for r in caplog.records)
    token = SANDBOX_CREDENTIALS["capsule"]["token"]
    assert token not in text and capsule.pid not in text


def test_without_opentelemetry_nothing_is_imported_or_wrapped() -> None:
    script = """
import sys
sys.modules["opentelemetry"] = None  # as if the package were not installed
from unifold import Unifold
from unifold._engine import http, telemetry
from unifold.sandbox import SEED_PROJECT_IDS
assert telemetry._TRACER is None
assert not hasattr(http.SyncDriver.send, "__wrapped__")
assert not hasattr(http.AsyncDriver.send, "__wrapped__")
with Unifold(store=":memory:") as uf:
    acct = uf.accounts.create("teamleader", environment="sandbox")
    project = uf.crm.projects.update(
        SEED_PROJECT_IDS["teamleader"][0], {"name": "x"}, integrated_account_id=acct.id
    )
assert project.name == "x"
assert not any(m.startswith("opentelemetry.") for m in sys.modules), "imported"
print("ok")
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
