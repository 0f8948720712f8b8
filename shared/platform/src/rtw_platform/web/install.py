"""What every service's app gets for its pages: the stylesheet and scripts, sign-out, and the
answers a person sees when a page cannot be shown (sign in first, a form that expired, a refusal)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ..errors import Refusal
from .pages import (
    SIGN_IN_PAGES,
    STATIC,
    CsrfFailed,
    Pages,
    SignInRequired,
    end_session,
    read_form,
    redirect_to,
)

PLATFORM_PAGES = Pages("platform", STATIC.parent / "templates")

account_router = APIRouter(include_in_schema=False)


@account_router.post("/account/sign-out")
async def sign_out(request: Request) -> RedirectResponse:
    """End the browser's session, in every service (not only on this browser)."""
    await read_form(request)
    response = redirect_to("/applications/account/signed-out")
    await end_session(request, response)
    return response


def is_page(request: Request) -> bool:
    """True when the request was for a page (routes for people are not in the OpenAPI document)."""
    route = request.scope.get("route")
    return route is not None and getattr(route, "include_in_schema", True) is False


def error_page(request: Request, heading: str, message: str, status_code: int) -> HTMLResponse:
    """A page saying what went wrong and what to do."""
    return PLATFORM_PAGES.render(
        request,
        "error.html",
        {"heading": heading, "message": message, "back": request.headers.get("referer")},
        status_code=status_code,
    )


def install_pages(app: FastAPI) -> None:
    """Serve the assets and sign-out, and turn page errors into pages."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(account_router)

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired) -> Response:
        page = SIGN_IN_PAGES[exc.roles[0]]
        return RedirectResponse(f"{page}?next={quote(exc.back_to, safe='/')}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return error_page(
            request,
            "Your form could not be sent",
            "The form had expired or came from somewhere else. Go back, reload the page and try again.",
            400,
        )


def _heading(status_code: int) -> str:
    return {
        403: "You cannot see this page",
        404: "Page not found",
        409: "This has already been done",
        429: "You have asked too many times",
    }.get(status_code, "There is a problem")


def refusal_page(request: Request, exc: Refusal) -> Response | None:
    """The refusal as a page when the request was for a page (None for the JSON API)."""
    if not is_page(request):
        return None
    page = error_page(request, _heading(exc.status), exc.message, exc.status)
    page.headers.update(exc.headers)
    return page
