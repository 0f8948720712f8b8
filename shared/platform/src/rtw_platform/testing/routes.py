"""Every HTTP route of every installed service, for the tests that check each one is protected."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from ..api_docs import API_DOCS_PATHS
from ..http import create_app
from ..registry import installed_services
from ..service import ServiceRuntime

#: The platform's own documents every service serves, checked on their own (not pages, not API).
PLATFORM_DOCUMENTS = frozenset({"/metrics", "/openapi.json", *API_DOCS_PATHS})


def service_routes(*, pages: bool) -> list[tuple[str, str, str]]:
    """(service, method, path) of the JSON API's routes, or with `pages` of the pages for people
    (the routes kept out of the OpenAPI document, but for Prometheus's /metrics)."""
    found: list[tuple[str, str, str]] = []
    for name, definition in installed_services().items():
        runtime = ServiceRuntime(definition, definition.settings())
        app = create_app(definition, runtime.settings, runtime=runtime, configure_logs=False)
        for route in _flatten(app.routes):
            if not isinstance(route, APIRoute) or route.path in PLATFORM_DOCUMENTS:
                continue
            if (route.include_in_schema is False) == pages:
                methods = sorted((route.methods or set()) - {"HEAD", "OPTIONS"})
                found.extend((name, method, route.path) for method in methods)
    return sorted(set(found))


def _flatten(routes: list[Any]) -> list[Any]:
    """Routes, including those of included routers (FastAPI keeps them nested)."""
    flat = []
    for route in routes:
        included = getattr(route, "original_router", None)
        flat.extend(_flatten(list(included.routes)) if included is not None else [route])
    return flat
