"""The HTTP side every service shares: app factory, health, metrics, AsyncAPI, request ids."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from .api_docs import API_DOCS_PATHS, install_api_docs
from .body_limit import BodyLimit
from .consumer_failures import is_infrastructure_error
from .db import sqlstate_of
from .errors import Invalid, Refusal
from .http_tracing import HttpTracing
from .logging import configure_logging, get_logger
from .metrics import HTTP_REQUESTS, HTTP_SECONDS
from .security_headers import SecurityHeaders
from .service import ServiceDefinition, ServiceRuntime
from .settings import ServiceSettings
from .tracing import configure_tracing, tracing_enabled
from .uow import UnitOfWork
from .web.error_pages import error_page, heading_for, invalid_request_page, is_page, refusal_page
from .web.i18n import PageLanguage
from .web.install import install_pages

log = get_logger(__name__)


def get_runtime(request: Request) -> ServiceRuntime:
    """The service runtime of the app answering the request."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """A fresh unit of work for one request; rolled back unless the use case commits."""
    async with get_runtime(request).uow_factory() as uow:
        yield uow


UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_uow)]


class ServiceApp(FastAPI):
    """A service's FastAPI app whose every answer, its 500s included, carries the security headers:
    they wrap the whole middleware stack (Starlette's error middleware too)."""

    traced_as: str | None = None
    """The service whose requests get a server span (None: tracing off)."""

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.traced_as is not None:
            stack = HttpTracing(stack, service=self.traced_as)
        return SecurityHeaders(stack, docs_paths=API_DOCS_PATHS)


def too_large_page(request: Request, message: str) -> Response:
    """The 413 a browser gets for a form too large to take."""
    return error_page(request, "What you sent is too large", message, 413)


def create_app(
    definition: ServiceDefinition,
    settings: ServiceSettings | None = None,
    *,
    runtime: ServiceRuntime | None = None,
    configure_logs: bool = True,
) -> FastAPI:
    """The service's ASGI app: its routers, health, metrics and AsyncAPI; the runtime starts and
    stops with the app's lifespan."""
    settings = settings or definition.settings()
    if configure_logs:
        configure_logging(definition.name, level=settings.log_level, json=settings.log_json)
        configure_tracing(definition.name, settings.otlp_endpoint)
    runtime = runtime or ServiceRuntime(definition, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        log.info("service_started", port=settings.http_port)
        try:
            yield
        finally:
            await runtime.stop()
            log.info("service_stopped")

    app = ServiceApp(
        title=f"Return to Work: {definition.title}",
        description=definition.description,
        version=definition.version,
        lifespan=lifespan,
        # Served by install_api_docs: under the entry proxy's path, from the platform's own files.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    if tracing_enabled():
        app.traced_as = definition.name
    install_api_docs(app)
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.revoked_sessions = runtime.sessions.revoked
    # Innermost: the route answers in the page's language (rtw_platform.web.i18n).
    app.add_middleware(PageLanguage)
    # Added first, so inside the request log: a body too large is logged and counted as the 413.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, page_for=too_large_page)

    _install_request_log(app, definition.name)
    _install_error_handlers(app)
    _install_health(app, runtime)

    @app.get("/asyncapi.json", tags=["contracts"])
    async def asyncapi() -> dict[str, Any]:
        """The AsyncAPI 3.0 document of the events this service consumes and publishes."""
        return runtime.asyncapi()

    install_pages(app)
    for router in definition.routers:
        app.include_router(router)
    return app


def _install_request_log(app: FastAPI, service: str) -> None:
    """Every request logged (by its route's template) and counted, with its request id."""

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request_id = request.headers.get("x-request-id") or str(uuid.uuid4())
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(service, request.method, path, str(response.status_code)).inc()
        elapsed = time.perf_counter() - started
        HTTP_SECONDS.labels(service, request.method, path).observe(elapsed)
        # The route's template, never the concrete path or query (they may hold personal data).
        log.info(
            "http_request",
            method=request.method,
            route=path,
            status=response.status_code,
            ms=round(elapsed * 1000, 1),
            request_id=request_id,
        )
        response.headers["x-request-id"] = request_id
        return response


def _install_error_handlers(app: FastAPI) -> None:
    """Errors as pages for browsers and as JSON for the API; never a 500 for the caller's input."""

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_page(request):
            return invalid_request_page(request, exc)
        return JSONResponse(
            status_code=422,
            content={
                "detail": "The request is not valid.",
                "errors": describe_validation_errors(exc.errors()),
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # An address no route has (or a method it does not take), asked for by a browser: a page.
        route = request.scope.get("route")
        browser = route is None and "text/html" in request.headers.get("accept", "")
        if exc.status_code in (404, 405) and (browser or is_page(request)):
            message = (
                "This address is not one we recognise: check the address, or go back and follow a link."
                if exc.status_code == 404
                else "This page cannot be used that way: go back and follow a link."
            )
            heading = "Page not found" if exc.status_code == 404 else "There is a problem"
            page = error_page(request, heading, message, exc.status_code)
            page.headers.update(exc.headers or {})
            return page
        return await http_exception_handler(request, exc)

    @app.exception_handler(Refusal)
    async def refused(request: Request, exc: Refusal) -> Response:
        page = refusal_page(request, exc)
        if page is not None:
            return page
        content: dict[str, Any] = {"detail": exc.message}
        if isinstance(exc, Invalid):
            content["errors"] = [{"field": f, "message": m} for f, m in exc.problems]
        return JSONResponse(status_code=exc.status, content=content, headers=exc.headers)

    @app.exception_handler(DBAPIError)
    async def unstorable(request: Request, exc: DBAPIError) -> Response:
        # SQLSTATE class 22 is "data exception": a value the database cannot store or compare
        # (a NUL character, a number out of range). That is the caller's input, not our fault.
        if sqlstate_of(exc).startswith("22"):
            message = "A value sent cannot be stored: check for control characters or large numbers."
            if is_page(request):
                return error_page(request, heading_for(422), message, 422)
            return JSONResponse(status_code=422, content={"detail": message})
        if is_infrastructure_error(exc):
            # The database is restarting or away: nothing was done, and trying again will work.
            log.warning("database_unavailable", error=type(exc).__name__, sqlstate=sqlstate_of(exc))
            message = "The service is briefly unavailable: nothing was changed. Please try again shortly."
            if is_page(request):
                page = error_page(request, heading_for(503), message, 503)
                page.headers["retry-after"] = "5"
                return page
            return JSONResponse(status_code=503, content={"detail": message}, headers={"retry-after": "5"})
        raise exc


def _install_health(app: FastAPI, runtime: ServiceRuntime) -> None:
    """Liveness, readiness, consumption and the Prometheus metrics."""

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/health/ready", tags=["health"])
    async def ready(response: Response) -> dict[str, Any]:
        """The service can serve its pages and API: the database answers. The broker is not
        asked: while it is away, pages still work and events wait in the outbox (a cluster keeps
        the pod in its Service); `/health/consuming` says whether events are being consumed."""
        checks = {"database": await runtime.check_database()}
        ok = all(checks.values())
        response.status_code = 200 if ok else 503
        return {"status": "ok" if ok else "unavailable", "checks": checks}

    @app.get("/health/consuming", tags=["health"])
    async def consuming(response: Response) -> dict[str, Any]:
        """Events are being consumed: the database answers, the broker connection is up and every
        consumed queue has a consumer (the queues without one are listed)."""
        checks = {
            "database": await runtime.check_database(),
            "broker": await runtime.check_broker(),
        }
        idle = await runtime.queues_without_consumer() if checks["broker"] else []
        checks["broker"] = checks["broker"] and not idle
        ok = all(checks.values())
        response.status_code = 200 if ok else 503
        body: dict[str, Any] = {"status": "ok" if ok else "unavailable", "checks": checks}
        if idle:
            body["queues_without_consumer"] = idle
        return body

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics() -> Response:
        # The outbox's gauges (every replica reads the same table, whether or not it relays)
        # keep their last value if the database does not answer.
        with contextlib.suppress(Exception):
            await runtime.relay.backlog()
        with contextlib.suppress(Exception):  # the queue gauges likewise, if the broker does not
            await asyncio.wait_for(runtime.observe_queues(), timeout=5)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def describe_validation_errors(errors: Any) -> list[dict[str, str]]:
    """Validation errors as field + message a person can act on."""
    described = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in ("body", "query", "path", "header", "cookie"):
            location = location[1:]  # the location kind, not a field
        described.append(
            {
                "field": ".".join(location) or "request",
                "message": str(error.get("msg", "is not valid")),
            }
        )
    return described
