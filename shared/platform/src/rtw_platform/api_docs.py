"""Each service's interactive API documentation, served from the platform's own files.

`/docs` (Swagger UI) and `/redoc` (ReDoc) load their scripts from `/static/api-docs/` (built by
`make assets` from npm and committed), never from a CDN, so they work on a locked-down network;
the document is `/openapi.json`, and every URL is under the path the entry proxy serves the
service at (`X-Forwarded-Prefix`): through the entry URL, `/applications/docs` asks for
`/applications/openapi.json`, and "Try it out" calls `/applications/...`."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from .web.pages import prefix

#: The paths that get the documentation's own Content-Security-Policy.
API_DOCS_PATHS = frozenset({"/docs", "/redoc"})


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}</head>'
        f"<body>{body}</body></html>\n"
    )


def install_api_docs(app: FastAPI) -> None:
    """Add `/openapi.json`, `/docs` and `/redoc` to a service's app (built with those three off)."""

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        document: dict[str, Any] = dict(app.openapi())
        document["servers"] = [{"url": prefix(request) or "/"}]
        return JSONResponse(document)

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        base = escape(prefix(request), quote=True)
        return _page(
            f"{app.title}: API",
            f'<link rel="stylesheet" href="{base}/static/api-docs/swagger-ui.css">',
            f'<div id="swagger-ui" data-openapi-url="{base}/openapi.json"></div>'
            f'<script src="{base}/static/api-docs/swagger-ui-bundle.js"></script>'
            f'<script src="{base}/static/rtw-api-docs.js"></script>',
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        base = escape(prefix(request), quote=True)
        return _page(
            f"{app.title}: API reference",
            "",
            f'<redoc spec-url="{base}/openapi.json"></redoc>'
            f'<script src="{base}/static/api-docs/redoc.standalone.js"></script>',
        )
