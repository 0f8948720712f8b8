"""One entry URL for the local platform: `http://127.0.0.1:8080/<service>/…` is forwarded to the
service (the docker compose and Kubernetes deployments use Caddy and an ingress the same way)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .registry import installed_services

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
}


def build_app(targets: dict[str, str]) -> Starlette:
    """A proxy for these services (name → base URL)."""
    client = httpx.AsyncClient(timeout=60)

    async def index(request: Request) -> HTMLResponse:
        links = "".join(
            f'<li><a href="/{name}/docs">{name}</a> (<a href="/{name}/health/ready">health</a>, '
            f'<a href="/{name}/asyncapi.json">AsyncAPI</a>)</li>'
            for name in targets
        )
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Return to Work platform</title></head><body><main><h1>Return to Work platform</h1>"
            '<p><a href="/applications/">Start page for candidates</a> · '
            '<a href="/matching/councils/sign-up">Sign a council up</a></p>'
            f"<h2>Services</h2><ul>{links}</ul></main></body></html>"
        )

    async def forward(request: Request) -> Response:
        service = request.path_params["service"]
        if service not in targets:
            return Response(
                f"No service called {service!r}. Services: {', '.join(targets)}.", status_code=404
            )
        url = f"{targets[service]}/{request.path_params['rest']}"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["x-forwarded-prefix"] = f"/{service}"
        if request.client is not None:
            # As Caddy does: the caller's address goes last (services trust it only when told to).
            earlier = request.headers.get("x-forwarded-for")
            headers["x-forwarded-for"] = (
                f"{earlier}, {request.client.host}" if earlier else request.client.host
            )
        upstream = await client.request(
            request.method, url, params=request.query_params, headers=headers, content=await request.body()
        )
        return Response(
            upstream.content,
            status_code=upstream.status_code,
            headers={
                k: v
                for k, v in upstream.headers.items()
                if k.lower() not in HOP_BY_HOP | {"content-encoding"}
            },
        )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    methods: Any = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(
        routes=[Route("/", index), Route("/{service}/{rest:path}", forward, methods=methods)],
        lifespan=lifespan,
    )


def main() -> None:
    """Run the local entry proxy (port RTW_ENTRY_PORT, default 8080)."""
    targets = {}
    for name, definition in installed_services().items():
        settings = definition.settings()
        targets[name] = f"http://{settings.http_host}:{settings.http_port}"
    uvicorn.run(
        build_app(targets),
        host="127.0.0.1",
        port=int(os.environ.get("RTW_ENTRY_PORT", "8080")),
        log_level="warning",
    )


if __name__ == "__main__":
    main()
