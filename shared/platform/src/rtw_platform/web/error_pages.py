"""Errors in the pages' own design: a person whose browser asked for a page gets a page (a heading,
what to do, and a link onwards) for every error, while the JSON API keeps answering JSON.

Who gets a page: a request that reached a page route (routes for people are left out of the
OpenAPI document), or a request no route matched whose browser accepts `text/html` (an address
typed wrongly, a link to something that no longer exists). Everything else is the API's, answered
as before (`{"detail": …}`), so API clients and their tests see no change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import Refusal
from .i18n import N_
from .pages import HOME_PAGES, STATIC, Pages, current_principal

PLATFORM_PAGES = Pages("platform", STATIC.parent / "templates")

#: Where someone signed out starts (the candidate's start page; staff sign in from there too).
START_PAGE = "/applications/"

HEADINGS = {
    400: N_("There is a problem"),
    403: N_("You cannot see this page"),
    404: N_("Page not found"),
    405: N_("This page cannot be used that way"),
    409: N_("This has already been done"),
    413: N_("What you sent is too large"),
    422: N_("There is a problem"),
    429: N_("You have asked too many times"),
    500: N_("Sorry, there is a problem with the service"),
    503: N_("Sorry, the service is unavailable"),
}

MESSAGES = {
    404: N_(
        "If you typed the web address, check it is correct. If you pasted it, check you copied "
        "the entire address. If you followed a link, what it pointed to may have been removed."
    ),
    405: N_(
        "This address is for sending a form, not for opening in a browser. Go back and use the "
        "page's buttons."
    ),
    500: N_(
        "Nothing you did caused this. Try again later; if it keeps happening, tell the "
        "programme team what you were doing and when."
    ),
}


def is_page(request: Request) -> bool:
    """True when the request was for a page: routes for people are not in the OpenAPI document,
    or (a page the API documents, like a certificate's) answer HTML."""
    route = request.scope.get("route")
    if route is None:
        return False
    if getattr(route, "include_in_schema", True) is False:
        return True
    response_class = getattr(route, "response_class", None)
    return isinstance(response_class, type) and issubclass(response_class, HTMLResponse)


def wants_page(request: Request) -> bool:
    """True when the answer should be a page: a page route, or an address no route matched that a
    browser asked for (it accepts HTML)."""
    if is_page(request):
        return True
    if request.scope.get("route") is not None:
        return False
    return "text/html" in request.headers.get("accept", "")


def onward_links(request: Request) -> list[dict[str, str]]:
    """Where a person can go from an error: their home page when signed in, else the start."""
    principal = current_principal(request)
    if principal is not None and principal.role in HOME_PAGES:
        return [{"href": HOME_PAGES[principal.role], "text": N_("Go to your home page")}]
    return [{"href": START_PAGE, "text": N_("Go to the start page")}]


def error_page(
    request: Request,
    heading: str,
    message: str,
    status_code: int,
    *,
    links: Sequence[dict[str, str]] | None = None,
) -> HTMLResponse:
    """A page saying what went wrong and what to do."""
    context: dict[str, Any] = {
        "heading": heading,
        "message": message,
        "back": request.headers.get("referer"),
        "links": list(links) if links is not None else onward_links(request),
    }
    return PLATFORM_PAGES.render(request, "error.html", context, status_code=status_code)


def heading_for(status_code: int) -> str:
    return HEADINGS.get(status_code, "There is a problem")


def refusal_page(request: Request, exc: Refusal) -> Response | None:
    """The refusal as a page when the request was for a page (None for the JSON API)."""
    if not is_page(request):
        return None
    page = error_page(request, heading_for(exc.status), exc.message, exc.status)
    page.headers.update(exc.headers)
    return page


def http_error_page(request: Request, status_code: int, headers: Mapping[str, str] | None) -> HTMLResponse:
    """An HTTP error (no such address, a method the address does not take) as a page."""
    message = MESSAGES.get(status_code) or HTTPStatus(status_code).phrase
    page = error_page(request, heading_for(status_code), message, status_code)
    page.headers.update(headers or {})
    return page


def invalid_request_page(request: Request, exc: RequestValidationError) -> HTMLResponse:
    """A page's address that does not fit it: a malformed id in the path is a page that does not
    exist (404); a malformed query is a problem with the address (400)."""
    in_path = any(tuple(error.get("loc", ()))[:1] == ("path",) for error in exc.errors())
    if in_path:
        return http_error_page(request, 404, None)
    return error_page(
        request,
        heading_for(400),
        N_(
            "The address of this page is not one it can show. Go back and follow a link or use the "
            "page's form."
        ),
        400,
    )


def install_error_pages(app: FastAPI) -> None:
    """Answer HTTP errors and unexpected failures with pages for people, JSON (as FastAPI does)
    for the API."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_page(request):
            return http_error_page(request, exc.status_code, exc.headers)
        headers = getattr(exc, "headers", None)
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=headers)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # Starlette logs the exception and raises it again after this answer is sent.
        if wants_page(request):
            try:
                return http_error_page(request, 500, None)
            except Exception:  # the page frame itself failed: say so plainly
                pass
        return PlainTextResponse("Internal Server Error", status_code=500)
