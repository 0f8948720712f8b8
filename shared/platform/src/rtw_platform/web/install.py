"""What every service's app gets for its pages: the stylesheet and scripts, sign-out, and the
answers a person sees when a page cannot be shown (sign in first, a form that expired, a refusal)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from .error_pages import error_page, install_error_pages, is_page, refusal_page
from .i18n import N_
from .pages import (
    SIGN_IN_PAGES,
    STATIC,
    CsrfFailed,
    SignInRequired,
    end_session,
    read_form,
    redirect_to,
)

__all__ = ["error_page", "install_pages", "is_page", "refusal_page"]

account_router = APIRouter(include_in_schema=False)


@account_router.post("/account/sign-out")
async def sign_out(request: Request) -> RedirectResponse:
    """End the browser's session, in every service (not only on this browser)."""
    await read_form(request)
    response = redirect_to("/applications/account/signed-out")
    await end_session(request, response)
    return response


def install_pages(app: FastAPI) -> None:
    """Serve the assets and sign-out, and turn page errors into pages (every HTTP error too, for
    a browser: see error_pages.py)."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(account_router)
    install_error_pages(app)

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired) -> Response:
        page = SIGN_IN_PAGES[exc.roles[0]]
        return RedirectResponse(f"{page}?next={quote(exc.back_to, safe='/')}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return error_page(
            request,
            N_("Your form could not be sent"),
            N_("The form had expired or came from somewhere else. Go back, reload the page and try again."),
            400,
        )
