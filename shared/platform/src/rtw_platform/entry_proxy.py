"""One entry URL for the local platform: `http://127.0.0.1:8080/<service>/…` is forwarded to the
service (the docker compose and Kubernetes deployments use Caddy and an ingress the same way).

The proxy is a pipe and keeps nothing between requests: each request goes upstream with its own
headers (its own Cookie header, or none) and its body streamed, bounded by `max_body_bytes`; each
answer comes back streamed with every header as the service sent it (each Set-Cookie on its own).
Its client never stores a cookie, so one browser's session can never ride on another's request.
"""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import AsyncIterator, Iterable
from http.cookiejar import Cookie, CookieJar
from typing import Any
from urllib.parse import quote

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from .body_limit import BodyTooLarge, too_large_message
from .logging import configure_logging, get_logger
from .registry import installed_services
from .security_headers import SecurityHeaders, security_headers
from .serving import run_server

log = get_logger(__name__)

#: Headers of one connection, not of the request or answer: never forwarded either way.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
    }
)
#: The entry proxy's own default bound on a request body: above every service's own limits (the
#: largest is the second-stage video), which each service applies to its routes.
DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class NoCookies(CookieJar):
    """A cookie jar that never keeps a cookie: the proxy serves many browsers at once."""

    def set_cookie(self, cookie: Cookie) -> None:
        return None

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


def upstream_client(timeout: float = 60.0) -> httpx.AsyncClient:
    """The proxy's HTTP client: pooled connections, no cookie jar, no redirects followed."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=5.0),
        cookies=NoCookies(),
        follow_redirects=False,
        trust_env=False,
    )


def _hop_by_hop(headers: list[tuple[bytes, bytes]]) -> set[bytes]:
    """The connection's own headers (never forwarded): the standard ones and those the
    Connection header names."""
    named_in_connection = {
        token.strip().lower().encode()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    return {name.encode() for name in HOP_BY_HOP} | named_in_connection


def forwarded_headers(
    raw: Iterable[tuple[bytes, bytes]], service: str, client_host: str | None = None
) -> list[tuple[bytes, bytes]]:
    """The request's own headers for the service, less the connection's, with the prefix it is
    served under. Host goes (the client sets the service's); an X-Forwarded-Prefix sent by the
    browser is replaced. As Caddy does, the caller's address goes last in X-Forwarded-For
    (services trust it only when RTW_TRUSTED_PROXY_HOPS says so)."""
    headers = list(raw)
    drop = _hop_by_hop(headers) | {b"host", b"x-forwarded-prefix", b"x-forwarded-for"}
    kept = [(name, value) for name, value in headers if name.lower() not in drop]
    forwarded = [(b"x-forwarded-prefix", f"/{service}".encode())]
    if client_host is not None:
        earlier = [value.decode("latin-1") for name, value in headers if name.lower() == b"x-forwarded-for"]
        forwarded.append((b"x-forwarded-for", ", ".join([*earlier, client_host]).encode("latin-1")))
    return [*kept, *forwarded]


def answered_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The service's answer headers for the browser, every one as sent (Set-Cookie included),
    less the connection's."""
    headers = list(raw)
    drop = _hop_by_hop(headers)
    return [(name.lower(), value) for name, value in headers if name.lower() not in drop]


def proxy_page(status_code: int, heading: str, message: str) -> HTMLResponse:
    """A page of the proxy's own (the services are not there to draw one)."""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(heading)} \u2013 Return to Work</title></head><body><main>"
        f"<h1>{html.escape(heading)}</h1><p>{html.escape(message)}</p></main></body></html>"
    )
    response = HTMLResponse(body, status_code=status_code)
    response.raw_headers += security_headers()
    return response


def build_app(
    targets: dict[str, str], *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, timeout: float = 60.0
) -> Starlette:
    """A proxy for these services (name → base URL), taking request bodies up to `max_body_bytes`."""
    client = upstream_client(timeout)

    async def index(request: Request) -> HTMLResponse:
        links = "".join(
            f'<li><a href="/{name}/docs">{name}</a> (<a href="/{name}/health/ready">health</a>, '
            f'<a href="/{name}/asyncapi.json">AsyncAPI</a>)</li>'
            for name in targets
        )
        response = HTMLResponse(
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Return to Work platform</title></head><body><main><h1>Return to Work platform</h1>"
            '<p><a href="/applications/">Start page for candidates</a> · '
            '<a href="/matching/councils/sign-up">Sign a council up</a></p>'
            f"<h2>Services</h2><ul>{links}</ul></main></body></html>"
        )
        response.raw_headers += security_headers()
        return response

    async def bounded_body(request: Request) -> AsyncIterator[bytes]:
        sent = 0
        async for chunk in request.stream():
            sent += len(chunk)
            if sent > max_body_bytes:
                raise BodyTooLarge()
            if chunk:
                yield chunk

    async def forward(request: Request) -> Response:
        service = request.path_params["service"]
        if service not in targets:
            return proxy_page(
                404, "Page not found", f"No service called {service!r}. Services: {', '.join(targets)}."
            )
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdecimal() and int(declared) > max_body_bytes:
            return proxy_page(413, "What you sent is too large", too_large_message(max_body_bytes))
        has_body = declared is not None or "transfer-encoding" in request.headers
        # The path as the browser sent it (still percent-encoded), less the service's prefix.
        raw_path = (request.scope.get("raw_path") or b"").decode("latin-1")
        if raw_path.startswith(f"/{service}/"):
            rest = raw_path[len(service) + 1 :]
        else:
            rest = "/" + quote(request.path_params["rest"])
        query = request.url.query
        url = f"{targets[service]}{rest}" + (f"?{query}" if query else "")
        outgoing = httpx.Request(
            request.method,
            url,
            headers=forwarded_headers(
                request.headers.raw, service, request.client.host if request.client else None
            ),
            content=bounded_body(request) if has_body else None,
        )
        try:
            upstream = await client.send(outgoing, stream=True)
        except BodyTooLarge:
            return proxy_page(413, "What you sent is too large", too_large_message(max_body_bytes))
        except ClientDisconnect:
            return Response(status_code=400)
        except httpx.TimeoutException:
            log.warning("entry_proxy_timeout", service=service)
            return proxy_page(
                504,
                "The service is taking too long",
                f"The {service} service did not answer in time. Try again in a minute.",
            )
        except httpx.HTTPError as exc:
            log.warning("entry_proxy_unreachable", service=service, error=type(exc).__name__)
            return proxy_page(
                502,
                "The service is not answering",
                f"The {service} service is not answering at the moment. Try again in a minute.",
            )
        response = StreamingResponse(
            _relay(upstream, service),
            status_code=upstream.status_code,
            background=BackgroundTask(upstream.aclose),
        )
        response.raw_headers = answered_headers(upstream.headers.raw)
        return response

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    methods: Any = METHODS
    app = Starlette(
        routes=[Route("/", index), Route("/{service}/{rest:path}", forward, methods=methods)],
        lifespan=lifespan,
        # The proxy's own answers (a method it does not forward, too large, unreachable) carry the
        # pages' headers too; a service's answer keeps its own (none is added twice).
        middleware=[Middleware(SecurityHeaders)],
    )
    return app


async def _relay(upstream: httpx.Response, service: str) -> AsyncIterator[bytes]:
    """The answer's bytes as they come (still compressed if they were)."""
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.HTTPError as exc:
        # The service went away mid-answer: the browser's connection is cut, so it sees the answer
        # is incomplete rather than taking half of it for the whole.
        log.warning("entry_proxy_answer_cut", service=service, error=type(exc).__name__)
        raise
    finally:
        await upstream.aclose()


def main() -> None:
    """Run the local entry proxy (port RTW_ENTRY_PORT, default 8080; bodies up to
    RTW_ENTRY_MAX_BODY_BYTES, default 256 MB)."""
    targets = {}
    for name, definition in installed_services().items():
        settings = definition.settings()
        targets[name] = f"http://{settings.http_host}:{settings.http_port}"
    limit = int(os.environ.get("RTW_ENTRY_MAX_BODY_BYTES", str(DEFAULT_MAX_BODY_BYTES)))
    port = int(os.environ.get("RTW_ENTRY_PORT", "8080"))
    configure_logging("entry-proxy")
    run_server(build_app(targets, max_body_bytes=limit), host="127.0.0.1", port=port)


if __name__ == "__main__":
    main()
