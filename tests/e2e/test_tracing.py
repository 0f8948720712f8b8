"""Traces: one HTTP request to applications, through its outbox, the broker and notifications'
consumer, to the e-mail sent, is one trace; no span carries personal data; off unless configured."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_contracts.examples import example
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_platform.testing.fixtures import BrokerNamespace, app_for
from rtw_platform.testing.mail import Mailbox, serve_mailbox
from rtw_platform.testing.probe import PROBE_EVENT, Behaviour, create_tables, probe_definition
from rtw_platform.testing.waiting import eventually
from rtw_platform.tracing import configure_tracing, tracing_enabled, use_tracer_provider
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.e2e


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on for this test, its spans kept in memory (set before any service starts)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_tracer_provider(provider)
    yield exporter
    use_tracer_provider(None)
    provider.shutdown()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    yield from serve_mailbox()


def _values(span: ReadableSpan) -> list[str]:
    """Everything a span says: its name, attributes, events' and links' attributes, status."""
    said = [span.name, str(span.status.description or "")]
    said += [str(value) for value in (span.attributes or {}).values()]
    for event in span.events:
        said += [event.name, *(str(value) for value in (event.attributes or {}).values())]
    for link in span.links:
        said += [str(value) for value in (link.attributes or {}).values()]
    return said


async def _submit_and_wait_for_mail(
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
    mailbox: Mailbox,
    *,
    applicants: int = 1,
) -> tuple[list[dict[str, Any]], Any, Any]:
    applications = await start_service(APPLICATIONS)
    notifications = await start_service(NOTIFICATIONS, smtp_port=mailbox.port, dispatch_interval_s=0.1)
    forms = [make_application() for _ in range(applicants)]
    transport = httpx.ASGITransport(app=app_for(applications))
    async with httpx.AsyncClient(transport=transport, base_url="http://applications") as client:
        secret = applications.settings.token_secret.get_secret_value()
        for form in forms:
            await submitted_application(client, secret, form)
    for form in forms:
        await mailbox.wait_for(form["email"], timeout=30)
    return forms, applications, notifications


async def test_request_outbox_broker_consumer_and_email_share_one_trace(
    spans: InMemorySpanExporter,
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
    mailbox: Mailbox,
) -> None:
    # Two people apply, in two requests: each request's work is its own trace, even where one
    # consumer (and one batch worker) handles both.
    forms, _, _ = await _submit_and_wait_for_mail(start_service, make_application, mailbox, applicants=2)

    async def email_spans() -> list[ReadableSpan] | None:
        found = [s for s in spans.get_finished_spans() if s.name == "email send"]
        return found if len(found) == 2 else None

    emails = await eventually(email_spans, what="the e-mails' spans")
    finished = list(spans.get_finished_spans())
    requests = [s for s in finished if s.kind == SpanKind.SERVER]
    assert [s.name for s in requests] == ["POST /applications", "POST /applications"]
    traces = {s.context.trace_id for s in requests}
    assert len(traces) == 2
    # Nothing started a trace of its own: every span belongs to one of the requests' traces.
    assert {s.context.trace_id for s in finished} == traces
    assert {s.context.trace_id for s in emails} == traces

    for trace_id in traces:
        steps = [s for s in finished if s.context.trace_id == trace_id]
        names = {s.name for s in steps}
        # Every step is there: the relay's publish, FastStream's consume, the handler, the e-mail.
        assert any(name.endswith(" publish") for name in names), names
        assert any(name.endswith(" process") for name in names), names
        handlers = [s for s in steps if s.name.startswith("handle ")]
        assert handlers, names
        [email] = [s for s in steps if s.name == "email send"]
        assert email.attributes is not None
        assert email.attributes["rtw.email_outcome"] == "sent"
        # The e-mail's span continues the trace of the handler that owed it.
        assert email.parent is not None
        assert email.parent.span_id in {s.context.span_id for s in handlers}

    # No personal data in any span.
    personal = [datum for form in forms for datum in (form["email"], form["given_name"], form["family_name"])]
    for span in finished:
        for value in _values(span):
            for datum in personal:
                assert datum.lower() not in value.lower(), (span.name, value)


async def test_tracing_is_off_unless_configured(
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("RTW_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert configure_tracing("applications") is None
    assert not tracing_enabled()
    _, applications, notifications = await _submit_and_wait_for_mail(start_service, make_application, mailbox)
    # No trace is noted anywhere, and the HTTP app has no tracing middleware.
    assert getattr(app_for(applications), "traced_as", "missing") is None
    async with applications.engine.connect() as conn:
        noted = (await conn.execute(text("SELECT count(traceparent) FROM applications.outbox"))).scalar()
    async with notifications.engine.connect() as conn:
        owed = (await conn.execute(text("SELECT count(traceparent) FROM notifications.deliveries"))).scalar()
    assert (noted, owed) == (0, 0)


def test_otlp_endpoint_turns_tracing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    provider = configure_tracing("applications", set_global=False)
    try:
        assert provider is not None
        assert tracing_enabled()
    finally:
        use_tracer_provider(None)
        if provider is not None:
            provider.shutdown()
    provider = configure_tracing("applications", "http://collector:4318/", set_global=False)
    try:
        assert provider is not None
        exporter = provider._active_span_processor._span_processors[0].span_exporter  # type: ignore[attr-defined]
        assert exporter._endpoint == "http://collector:4318/v1/traces"
    finally:
        use_tracer_provider(None)
        if provider is not None:
            provider.shutdown()


async def test_a_failing_handler_leaves_its_error_text_out_of_the_spans(
    spans: InMemorySpanExporter,
    start_service: Callable[..., Any],
    clean_database: str,
    broker_namespace: BrokerNamespace,
) -> None:
    # An exception's text may quote what the handler worked on (an address, a name). A message
    # whose handler fails is dead-lettered with its error (the failure policy catches it inside
    # FastStream's telemetry middleware): its spans say it was sent on, never the error's text.
    engine = create_async_engine(clean_database)
    await create_tables(engine)
    await engine.dispose()
    event = example(PROBE_EVENT, event_id=uuid4(), correlation_id=uuid4())
    await start_service(probe_definition(Behaviour(always_fail={event.event_id})))
    await broker_namespace.publish_event(event)

    async def dead_lettered() -> list[ReadableSpan] | None:
        names = [s.name for s in spans.get_finished_spans()]
        consumed = any(name.endswith(" process") for name in names)
        sent_on = any(".rtw.dlx." in name and name.endswith(" publish") for name in names)
        return list(spans.get_finished_spans()) if consumed and sent_on else None

    finished = await eventually(dead_lettered, timeout=30, what="the message consumed and dead-lettered")
    for span in finished:
        for value in _values(span):
            assert "the probe always fails" not in value, (span.name, value)
