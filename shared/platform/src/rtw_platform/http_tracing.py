"""The server span of each HTTP request (when tracing is on, see `tracing`).

A small ASGI middleware rather than OpenTelemetry's ASGI instrumentation: that one records the
full URL with its query string, the concrete path and the caller's address, and here a path may
hold a sign-in token and a query an e-mail address. This span is named by the route's template
("POST /applications") and carries only the method, the route, the status and the service.
"""

from __future__ import annotations

from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .tracing import context_from_headers, tracer


class HttpTracing:
    """Wraps an app: a SERVER span around every HTTP request, current while the route runs (so
    the events it writes to the outbox carry the request's trace)."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        incoming = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name == b"traceparent"
        }
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        with tracer().start_as_current_span(
            f"{method} request",
            context=context_from_headers(incoming),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "rtw.service": self.service},
            record_exception=False,  # an exception's message may quote what was sent
            set_status_on_exception=False,
        ) as span:
            try:
                await self.app(scope, receive, send_noting_status)
            except Exception as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise
            finally:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
