"""Headers every answer carries, so a browser refuses what the pages never do: scripts and styles
from anywhere but the platform, inline scripts and style attributes, being framed by another site,
guessing a file's type, and sending the address of a page to other sites."""

from __future__ import annotations

from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _policy(*directives: str) -> str:
    return "; ".join(directives)


#: The pages' Content-Security-Policy: everything from the platform's own origin, no inline script
#: or style (the page frame's scripts are files under /static), images from the origin or data: URLs.
PAGE_POLICY = _policy(
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

#: The interactive API documentation (each service's /docs and /redoc, rtw_platform.api_docs) loads
#: Swagger UI and ReDoc from the platform's own files, started by a script file; both inject their
#: own styles, and ReDoc searches in a worker. It holds no personal data and has no forms of ours;
#: it still cannot be framed, and nothing is loaded from another origin.
API_DOCS_POLICY = _policy(
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

#: Sent with every answer, whatever it is.
ALWAYS: dict[str, str] = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # The error page's Back link uses the Referer of the platform's own pages; no other site gets one.
    "referrer-policy": "same-origin",
}


def security_headers(policy: str = PAGE_POLICY) -> list[tuple[bytes, bytes]]:
    """The headers with this Content-Security-Policy, as raw ASGI headers."""
    headers = {**ALWAYS, "content-security-policy": policy}
    return [(name.encode(), value.encode()) for name, value in headers.items()]


class SecurityHeaders:
    """ASGI middleware: adds the security headers to every HTTP answer that does not set its own.

    `docs_paths` get `API_DOCS_POLICY` instead of `PAGE_POLICY`."""

    def __init__(self, app: ASGIApp, docs_paths: Collection[str] = ()) -> None:
        self.app = app
        self._pages = security_headers(PAGE_POLICY)
        self._docs = security_headers(API_DOCS_POLICY)
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._docs if scope["path"] in self.docs_paths else self._pages
        await self.app(scope, receive, _adding(send, extra))


def _adding(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [(name, value) for name, value in extra if name not in present]
            message = {**message, "headers": headers}
        await send(message)

    return send_with_headers
