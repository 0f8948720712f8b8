"""The pages every page's footer links to: help and contact, accessibility, cookies and the privacy
notice. Anyone may read them, signed in or not.

They are served once, by the applications service (the candidates' service, whose settings say how
long their data is kept), under `/applications/…`; the footer of every service's pages (base.html)
links there, as the navigation links across services. The contact details are settings
(`RTW_CONTACT_*`, docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..auth import SESSION_TTL
from .error_pages import PLATFORM_PAGES
from .form_state import FORM_STATE_TTL
from .i18n import LANGUAGE_COOKIE
from .pages import CSRF_COOKIE, FORM_STATE_COOKIE, SESSION_COOKIE

#: The version of the privacy notice candidates agree to when they apply (recorded on the
#: application); change it whenever the notice changes what it says.
PRIVACY_NOTICE_VERSION = "2026-09"
#: How long an application is kept after its final outcome when the service does not say.
DEFAULT_RETENTION_MONTHS = 24


@dataclass(frozen=True)
class Cookie:
    """A cookie the platform sets, as the cookies page describes it (the words are the
    template's: `purpose` and `lifetime` are keys it translates)."""

    name: str
    purpose: str
    lifetime: str


#: Every cookie the platform's pages set (rtw_platform.web.pages): all strictly necessary.
COOKIES = (
    Cookie(SESSION_COOKIE, purpose="session", lifetime="session_ttl"),
    Cookie(CSRF_COOKIE, purpose="csrf", lifetime="browser"),
    Cookie(LANGUAGE_COOKIE, purpose="language", lifetime="year"),
    Cookie(FORM_STATE_COOKIE, purpose="form", lifetime="form_state"),
)

router = APIRouter(include_in_schema=False)


def contact(request: Request) -> dict[str, Any]:
    """The programme team's contact details, from the service's settings."""
    settings = request.app.state.settings
    return {
        "team": settings.contact_team,
        "email": settings.contact_email,
        "phone": settings.contact_phone,
        "hours": settings.contact_hours,
        "reply_days": settings.contact_reply_days,
        "privacy_email": settings.privacy_email or settings.contact_email,
    }


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    return PLATFORM_PAGES.render(request, f"footer/{template}", {"contact": contact(request), **context})


@router.get("/help")
async def help_page(request: Request) -> HTMLResponse:
    """How to get help with the service, and how to reach the programme team."""
    return render(request, "help.html")


@router.get("/accessibility")
async def accessibility_statement(request: Request) -> HTMLResponse:
    """The accessibility statement (the Public Sector Bodies Accessibility Regulations 2018, in the
    order of GOV.UK's model statement), its dates from the settings (`RTW_ACCESSIBILITY_*`)."""
    settings = request.app.state.settings
    return render(
        request,
        "accessibility.html",
        prepared=settings.accessibility_prepared,
        reviewed=settings.accessibility_reviewed,
        tested=settings.accessibility_tested,
    )


@router.get("/cookies")
async def cookies_page(request: Request) -> HTMLResponse:
    """Which cookies the service sets, why and for how long."""
    hours = int(SESSION_TTL.total_seconds() // 3600)
    form_minutes = int(FORM_STATE_TTL.total_seconds() // 60)
    return render(request, "cookies.html", cookies=COOKIES, session_hours=hours, form_minutes=form_minutes)


@router.get("/privacy-notice")
async def privacy_notice(request: Request) -> HTMLResponse:
    """What we hold about a candidate, why, who sees it, how long we keep it, and their rights."""
    months = getattr(request.app.state.settings, "retention_months", DEFAULT_RETENTION_MONTHS)
    return render(request, "privacy.html", version=PRIVACY_NOTICE_VERSION, retention_months=months)
