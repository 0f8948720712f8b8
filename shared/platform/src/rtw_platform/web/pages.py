"""Server-rendered pages: GOV.UK Frontend components (govuk-frontend-jinja) without GOV.UK
branding, a session cookie holding the platform's signed token, and CSRF protection.

Each service serves the pages for its own users; the entry proxy puts every service under its own
path on one host (`/applications/…`, `/matching/…`) and says which in `X-Forwarded-Prefix`, so a
page links to its own service with `url()` and to another service with `/<service>/…`.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from starlette.datastructures import FormData

from ..auth import (
    SESSION_TTL,
    InvalidToken,
    Principal,
    Role,
    Session,
    issue_session_token,
    verify_session_token,
)
from ..errors import Refusal
from ..sessions import RevokedSessions
from . import i18n
from .i18n import N_
from .table_labels import label_table_cells

SESSION_COOKIE = "rtw_session"
CSRF_COOKIE = "rtw_csrf"
CSRF_FIELD = "csrf_token"
#: A refused form's problems and values, for its page to show after the redirect (form_state.py).
FORM_STATE_COOKIE = "rtw_form"
PLATFORM_TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

#: Where each kind of person signs in.
SIGN_IN_PAGES = {
    Role.CANDIDATE: "/applications/account/sign-in",
    Role.RECRUITER: "/matching/recruiters/sign-in",
    Role.ASSESSOR: "/applications/account/staff-sign-in",
    Role.TRAINER: "/applications/account/staff-sign-in",
    Role.ADMIN: "/applications/account/staff-sign-in",
}

#: Where each kind of person lands after signing in.
HOME_PAGES = {
    Role.CANDIDATE: "/applications/my",
    Role.RECRUITER: "/matching/council",
    Role.ASSESSOR: "/assessment/queue",
    Role.TRAINER: "/training/provider",
    Role.ADMIN: "/assessment/admin",
}


#: What the header says of who is signed in, in words a person recognises (not the role's code:
#: "Signed in as candidate" read as a label, not as them). No name or address: the session holds
#: none, and pages are not where to fetch them on every request.
SIGNED_IN_AS = {
    Role.CANDIDATE: N_("You are signed in"),
    Role.RECRUITER: N_("Signed in as a council recruiter"),
    Role.ASSESSOR: N_("Signed in as an assessor"),
    Role.TRAINER: N_("Signed in as a training provider"),
    Role.ADMIN: N_("Signed in as a programme admin"),
}

_UNREAD = object()


class SignInRequired(Exception):
    """The page needs a signed-in person of one of these roles."""

    def __init__(self, roles: tuple[Role, ...], back_to: str) -> None:
        super().__init__("sign in first")
        self.roles = roles
        self.back_to = back_to


class CsrfFailed(Exception):
    """A form arrived without the token of the browser's session."""


_PLAIN_PREFIX = re.compile(r"(/[A-Za-z0-9_-]+)+")


def prefix(request: Request) -> str:
    """The path the entry proxy serves this service under ('' when reached directly)."""
    value = request.headers.get("x-forwarded-prefix", "").rstrip("/")
    # Only a plain path (`/applications`): a client reaching a service directly could otherwise
    # send its redirects, scripts and API document to another host (`//evil.example`).
    return value if _PLAIN_PREFIX.fullmatch(value) else ""


def url(request: Request, path: str) -> str:
    """A path on this service, as the browser sees it."""
    return f"{prefix(request)}{path}"


def redirect(request: Request, path: str) -> RedirectResponse:
    """Post/redirect/get: 303 to a path on this service."""
    return RedirectResponse(url(request, path), status_code=303)


def redirect_to(location: str) -> RedirectResponse:
    """303 to an absolute path on the platform (another service's page)."""
    return RedirectResponse(location, status_code=303)


def current_principal(request: Request) -> Principal | None:
    """The signed-in person, from the session cookie; None when there is none, it expired or was
    signed out of (here or in any other service). Read once per request (the handler and the page
    frame both ask); the revoked sessions are in memory, so this costs no query."""
    cached = getattr(request.state, "principal", _UNREAD)
    if cached is None or isinstance(cached, Principal):
        return cached
    session = _cookie_session(request)
    principal = None
    if session is not None and _revoked_sessions(request).admits(session.id):
        principal = session.principal
    request.state.principal = principal
    return principal


def _cookie_session(request: Request) -> Session | None:
    """The session the browser's cookie stands for, revoked or not (None: no valid cookie)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    secret = request.app.state.settings.token_secret.get_secret_value()
    try:
        return verify_session_token(secret, token)
    except InvalidToken:
        return None


def _revoked_sessions(request: Request) -> RevokedSessions:
    """The app's revoked sessions (see `rtw_platform.sessions`); an app without them accepts no
    session."""
    revoked = getattr(request.app.state, "revoked_sessions", None)
    return revoked if isinstance(revoked, RevokedSessions) else RevokedSessions()


def signed_in(request: Request, *roles: Role) -> Principal:
    """The signed-in person if they have one of `roles`; otherwise off to sign in."""
    principal = current_principal(request)
    if principal is None or principal.role not in roles:
        back_to = url(request, request.url.path)
        raise SignInRequired(roles, back_to)
    return principal


def start_session(request: Request, response: HTMLResponse | RedirectResponse, principal: Principal) -> None:
    """Sign the person in on this browser: an HttpOnly cookie holding a session token (a new
    session id, which signing out revokes)."""
    settings = request.app.state.settings
    token = issue_session_token(settings.token_secret.get_secret_value(), principal, ttl=SESSION_TTL)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookies_are_secure(),
    )


async def end_session(request: Request, response: HTMLResponse | RedirectResponse) -> None:
    """Sign out: the browser's session is revoked in every service (refused here at once, in the
    others as soon as they hear of it) and its cookie is deleted."""
    session = _cookie_session(request)
    if session is not None:
        await request.app.state.runtime.sessions.end(session)
    request.state.principal = None
    response.delete_cookie(SESSION_COOKIE, path="/")


def safe_next(location: str | None, default: str) -> str:
    """A place to go after signing in: a path on this host only (never another site)."""
    if location and location.startswith("/") and not location.startswith("//") and "\\" not in location:
        return location
    return default


def sign_in_and_go(request: Request, principal: Principal, location: str | None) -> RedirectResponse:
    """Start the person's session and send them on: to `location` when it is safe, else home."""
    response = redirect_to(safe_next(location, HOME_PAGES[principal.role]))
    start_session(request, response, principal)
    return response


async def read_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the browser's cookie."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise CsrfFailed()
    return form


def form_text(form: FormData, name: str) -> str:
    """A text field, trimmed ('' when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


#: More digits than any whole number a page asks for (Python refuses to read more than 4,300).
MOST_DIGITS = 18


def whole_number(text: str, low: int, high: int) -> int | None:
    """`text` (digits only) as a whole number from `low` to `high`; None for anything else, however
    long: a field of thousands of digits is a problem to show, never a 500."""
    if not text.isdecimal() or len(text) > MOST_DIGITS:
        return None
    value = int(text)
    return value if low <= value <= high else None


@dataclass
class FormErrors:
    """Problems with a posted form, shown as an error summary and beside each field."""

    problems: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        """Record the first problem with a field."""
        self.problems.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def message(self, name: str) -> dict[str, str] | None:
        """The govuk `errorMessage` option for a field (in the page's language when the catalogue
        has the message: mark it with `N_`)."""
        text = self.problems.get(name)
        if not text:
            return None
        # govuk reads a hidden "Error:" before the message unless told otherwise (in English).
        return {"text": i18n.gettext(text), "visuallyHiddenText": i18n.gettext(N_("Error"))}

    def summary(self) -> list[dict[str, str]]:
        """The govuk error summary's list (a problem with the whole form links to the page's main
        content)."""
        return [
            {"text": i18n.gettext(text), "href": "#main-content" if name == "form" else f"#{name}"}
            for name, text in self.problems.items()
        ]

    @classmethod
    def from_refusal(cls, refusal: Refusal, fields: Mapping[str, str] | None = None) -> FormErrors:
        """A refusal from a use case, mapped onto the form's fields (`fields`: API field → form
        field); a refusal not about a field is a problem with the whole form."""
        errors = cls()
        problems = getattr(refusal, "problems", None)
        if problems:
            for api_field, text in problems:
                name = (fields or {}).get(api_field, api_field.replace(".", "-"))
                errors.add(name, text)
        else:
            errors.add("form", refusal.message)
        return errors


def page_language(request: Request) -> str:
    """The language this request's page is in (see `i18n.chosen_language`)."""
    return i18n.chosen_language(
        request.query_params, request.cookies, request.headers.get("accept-language", "")
    )


def language_links(request: Request, language: str) -> list[dict[str, Any]]:
    """The header's switch: this page in each language (the current one marked as such)."""
    query = [
        (key, value) for key, value in request.query_params.multi_items() if key != i18n.LANGUAGE_PARAMETER
    ]
    links = []
    for code in i18n.LANGUAGES:
        # this very address: a query alone keeps the browser's path (no id of the path repeated)
        address = f"?{urlencode([*query, (i18n.LANGUAGE_PARAMETER, code)])}"
        links.append(
            {"code": code, "name": i18n.NATIVE_NAMES[code], "href": address, "current": code == language}
        )
    return links


def remember_language(request: Request, response: HTMLResponse | RedirectResponse, language: str) -> None:
    """Keep a language chosen with the switch (`?lang=`) in its cookie for the next pages."""
    wanted = i18n.wanted_language(request.query_params)
    if wanted is not None and request.cookies.get(i18n.LANGUAGE_COOKIE) != wanted:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            wanted,
            max_age=i18n.LANGUAGE_COOKIE_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.app.state.settings.cookies_are_secure(),
        )


def width_class(percent: float | None) -> str:
    """The class giving an element this width in whole percent (0 to 100; none is 0): pages carry no
    style attributes, which their Content-Security-Policy forbids. In templates:
    `{{ 42.5 | width_class }}`."""
    return f"rtw-width-{min(100, max(0, round(percent or 0)))}"


class Pages:
    """A service's page templates (its own folder first, then the platform's and govuk's)."""

    def __init__(self, service: str, folder: Path) -> None:
        self.service = service
        self.environment = Environment(
            loader=ChoiceLoader(
                [
                    FileSystemLoader(folder),
                    FileSystemLoader(PLATFORM_TEMPLATES),
                    PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
                ]
            ),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        # Words on pages are marked for translation: `{{ _("Apply") }}`, `{% trans %}…{% endtrans %}`,
        # translated into the language of the request being answered (see `i18n`).
        self.environment.install_gettext_callables(  # type: ignore[attr-defined]
            i18n.gettext, i18n.ngettext, newstyle=True
        )
        self.environment.filters["width_class"] = width_class
        self.environment.globals["N_"] = i18n.N_
        # Words held in a variable (a heading, a message from Python marked with N_): `{{ x | translate }}`,
        # never `_(x)`, which would mark the words safe HTML (a refusal can quote what someone typed).
        self.environment.filters["translate"] = i18n.gettext
        self.environment.filters["long_date"] = i18n.long_date
        # The count a plural is chosen by, for a number that may be a fraction:
        # `ngettext(…, hours | plural_count)`.
        self.environment.filters["plural_count"] = i18n.plural_count
        self.environment.filters["long_datetime"] = i18n.long_datetime

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        errors: FormErrors | None = None,
    ) -> HTMLResponse:
        """The page as a response; sets the CSRF cookie when the browser has none."""
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        principal = current_principal(request)
        own_prefix = prefix(request)
        language = page_language(request)
        values: dict[str, Any] = {
            "lang": language,
            "language_links": language_links(request, language),
            "service": self.service,
            "principal": principal,
            "home": HOME_PAGES.get(principal.role) if principal else None,
            "signed_in_as": SIGNED_IN_AS.get(principal.role, "") if principal else "",
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf,
            "errors": errors or FormErrors(),
            "url": lambda path: f"{own_prefix}{path}",
            "static": lambda path: f"{own_prefix}/static/{path}",
            "current_path": request.url.path,
            "quote": quote,
        }
        values.update(context or {})
        with i18n.speaking(language):
            # tables get their headings on their cells, for phones (table_labels.py)
            html = label_table_cells(self.environment.get_template(template).render(values))
        response = HTMLResponse(html, status_code=status_code)
        response.headers["content-language"] = language
        remember_language(request, response, language)
        if request.cookies.get(CSRF_COOKIE) != csrf:
            response.set_cookie(
                CSRF_COOKIE,
                csrf,
                path="/",
                httponly=True,
                samesite="strict",
                secure=request.app.state.settings.cookies_are_secure(),
            )
        if FORM_STATE_COOKIE in request.cookies:
            # Shown once: a reload shows the form as saved (see form_state.py).
            response.delete_cookie(FORM_STATE_COOKIE, path=url(request, request.url.path))
        response.headers["cache-control"] = "no-store"
        return response
