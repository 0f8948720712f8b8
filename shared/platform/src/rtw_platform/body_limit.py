"""Bounded request bodies: a body past the limit is answered 413 before it is read (when its
Content-Length says so) or as soon as the bytes read pass the limit (a chunked body), never read
whole and parsed first.

Every route takes up to the service's `max_body_bytes`; a route that takes files says how much it
takes with `@accepts_body_up_to(...)`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIB = 1024 * 1024
DEFAULT_MAX_BODY_BYTES = MIB
#: Room for a multipart form's other fields and boundaries beside its file.
FORM_OVERHEAD_BYTES = MIB
_ALLOWANCE = "__rtw_body_limit__"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
#: The 413 page of a form sent from a browser: (request, message) → response.
PageFor = Callable[[Request, str], Response]


class BodyTooLarge(Exception):
    """The request's body passed its limit while it was being read."""


def accepts_body_up_to(limit: Callable[[Any], int]) -> Callable[[Endpoint], Endpoint]:
    """Mark a route as taking bodies up to `limit(settings)` bytes (the service's settings) instead
    of `max_body_bytes`: for routes that take files."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _ALLOWANCE, limit)
        return endpoint

    return mark


def describe_size(size: int) -> str:
    """A size as people read it: '200 MB', '64 KB', '1000 bytes'."""
    if size >= MIB:
        return f"{size // MIB} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def too_large_message(limit: int) -> str:
    """What the person is told."""
    return (
        f"What was sent is larger than the {describe_size(limit)} accepted here. "
        "Send less: a smaller file, or shorter answers."
    )


def declared_length(scope: Scope) -> int | None:
    """The Content-Length the request declares (None when it has none or it is not a number)."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def wants_page(scope: Scope) -> bool:
    """True for a browser's request (it accepts HTML): it gets a page, not JSON."""
    for name, value in scope.get("headers", []):
        if name == b"accept":
            return b"text/html" in value
    return False


def route_allowance(scope: Scope) -> int | None:
    """The larger limit of the route answering this request, if it is marked with one (known once
    the router has matched the request: by the time the route reads its body)."""
    limit = getattr(scope.get("endpoint"), _ALLOWANCE, None)
    if limit is None:
        return None
    return int(limit(scope["app"].state.settings))


class BodyLimit:
    """ASGI middleware bounding every HTTP request's body at `max_bytes` (or the route's own
    allowance). A body whose Content-Length is past it is refused when the route first asks for it,
    before a byte is read (and if the route never asks, its answer is replaced by the 413 all the
    same); a body without one is refused as soon as the bytes read pass the limit. `page_for`
    makes the 413 a page for browsers."""

    def __init__(self, app: ASGIApp, max_bytes: int, page_for: PageFor | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.page_for = page_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reading = _Reading(scope, self.max_bytes)
        declared = declared_length(scope)

        async def bounded_receive() -> Message:
            if declared is not None:
                reading.check(declared)
            message = await receive()
            if message["type"] == "http.request":
                reading.count(len(message.get("body", b"")))
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and declared is not None and not reading.overflowed:
                with contextlib.suppress(BodyTooLarge):
                    reading.check(declared)
            if reading.overflowed:
                return  # the app's answer to a body it could not (or did not) read: ours goes instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, guarded_send)
        except Exception:
            # Whatever the app made of the body it could not read (BodyTooLarge itself, or an
            # error it raised instead), the answer is 413 unless it had already begun another.
            if not reading.overflowed or started:
                raise
        if reading.overflowed and not started:
            await self._refuse(scope, send, reading.limit())

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        message = too_large_message(limit)
        response: Response
        if self.page_for is not None and wants_page(scope):
            response = self.page_for(Request(scope), message)
        else:
            response = JSONResponse({"detail": message}, status_code=413)
        await response(scope, _nothing, send)


class _Reading:
    """How much of one request's body was read, against its limit (the route's allowance is looked
    up only when the body passes the service's limit: most requests never look)."""

    def __init__(self, scope: Scope, max_bytes: int) -> None:
        self.scope = scope
        self.max_bytes = max_bytes
        self._allowance: int | None = None
        self._looked_up = False
        self.read = 0
        self.overflowed = False

    def limit(self) -> int:
        """The most this request may send (as far as known)."""
        return self.max_bytes if self._allowance is None else max(self.max_bytes, self._allowance)

    def check(self, size: int) -> None:
        """Raises BodyTooLarge (and remembers it) when a body of `size` bytes is past the limit."""
        if size > self.max_bytes and not self._looked_up:
            self._allowance = route_allowance(self.scope)
            self._looked_up = self._allowance is not None or "endpoint" in self.scope
        if size > self.limit():
            self.overflowed = True
            raise BodyTooLarge()

    def count(self, size: int) -> None:
        """Another `size` bytes were read; raises BodyTooLarge once past the limit."""
        self.read += size
        self.check(self.read)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
