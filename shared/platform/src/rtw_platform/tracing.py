"""Traces: one OpenTelemetry trace from an HTTP request through the outbox, the broker and the
consumers to the e-mail it causes, sent to a collector by OTLP when one is configured.

Tracing is on only when `RTW_OTLP_ENDPOINT` (or the standard `OTEL_EXPORTER_OTLP_ENDPOINT`) is set:
otherwise no provider is installed, nothing is recorded and the helpers below return at once.

The trace crosses the outbox in its W3C `traceparent`: `UnitOfWork.publish` notes the current one
beside each event (the outbox's `traceparent` column), the relay sends it as the message's
`traceparent` header, FastStream's middleware continues it in the consumer, and a consumer that
records work for later (an e-mail owed) keeps it on that row for the span that does the work.

Spans carry names, routes, event types and ids, never personal data (no addresses, no query
strings, no concrete paths: a path may hold a sign-in token).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from .logging import get_logger

log = get_logger(__name__)

_PROPAGATOR = TraceContextTextMapPropagator()
_NO_TRACER = trace.NoOpTracerProvider().get_tracer("rtw_platform")
_provider: TracerProvider | None = None


def otlp_endpoint(configured: str = "") -> str:
    """Where traces go: `RTW_OTLP_ENDPOINT` (the setting), else the standard variables; '' for none."""
    return (
        configured
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
    )


def configure_tracing(service: str, endpoint: str = "", *, set_global: bool = True) -> TracerProvider | None:
    """Export the process's spans by OTLP (HTTP) when an endpoint is configured; None (tracing off)
    otherwise. Call once, at process start, before the service's runtime is built."""
    global _provider
    target = otlp_endpoint(endpoint)
    if not target or _provider is not None:
        return _provider
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if endpoint:  # ours is the collector's base URL, as the standard variable is
        exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    else:  # the exporter reads the standard variables (and their headers, certificates) itself
        exporter = OTLPSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": f"rtw-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    use_tracer_provider(provider)
    if set_global:  # for libraries that trace through the global provider
        trace.set_tracer_provider(provider)
    log.info("tracing_on", exporter="otlp")
    return provider


def use_tracer_provider(provider: TracerProvider | None) -> None:
    """Record spans with `provider` (None: tracing off). For tests, with an in-memory exporter."""
    global _provider
    _provider = provider


def tracer_provider() -> TracerProvider | None:
    """The provider spans are recorded with; None when tracing is off."""
    return _provider


def tracing_enabled() -> bool:
    """Whether spans are recorded in this process."""
    return _provider is not None


def tracer() -> Tracer:
    """The platform's tracer (one that records nothing when tracing is off)."""
    return _provider.get_tracer("rtw_platform") if _provider is not None else _NO_TRACER


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, to keep beside work done later; None when
    tracing is off or there is no span."""
    if _provider is None:
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_of(traceparent: str | None) -> otel_context.Context | None:
    """The trace context a stored `traceparent` names (None for none)."""
    if not traceparent:
        return None
    return _PROPAGATOR.extract({"traceparent": traceparent})


def context_from_headers(headers: Any) -> otel_context.Context:
    """The trace context an incoming request's headers carry (empty for none)."""
    return _PROPAGATOR.extract({"traceparent": headers.get("traceparent", "")} if headers else {})


def headers_for(span_context: otel_context.Context) -> dict[str, str]:
    """The `traceparent` (and `tracestate`) headers that continue `span_context`'s trace."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=span_context)
    return carrier


@contextmanager
def span_after(
    traceparent: str | None, name: str, *, kind: SpanKind = SpanKind.INTERNAL, **attributes: Any
) -> Iterator[Span | None]:
    """A span continuing the trace a stored `traceparent` names (a new trace when there is none);
    yields None, records nothing, when tracing is off."""
    if _provider is None:
        yield None
        return
    with tracer().start_as_current_span(
        name, context=context_of(traceparent), kind=kind, attributes=attributes
    ) as span:
        yield span


@contextmanager
def within(context: otel_context.Context | None) -> Iterator[None]:
    """Run the block in `context` (a message's trace handed to another task); nothing if None."""
    if context is None:
        yield
        return
    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)


@contextmanager
def publishing(traceparent: str | None, destination: str, **attributes: Any) -> Iterator[dict[str, str]]:
    """The headers of a message sent for work done in the trace `traceparent` names (the relay
    publishing an outbox row): with tracing on, inside a PRODUCER span continuing that trace, whose
    context the headers carry; with it off, the stored `traceparent` as it is; none without one."""
    if not traceparent:
        yield {}
        return
    if _provider is None:
        yield {"traceparent": traceparent}
        return
    with tracer().start_as_current_span(
        f"{destination} publish",
        context=context_of(traceparent),
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "rabbitmq", "messaging.operation": "publish", **attributes},
        record_exception=False,
        set_status_on_exception=False,
    ):
        yield headers_for(otel_context.get_current())
