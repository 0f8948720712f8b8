"""The pages' foundation: sessions, CSRF, redirects, form errors, assets without GOV.UK branding,
and staff sign-in links from the CLI."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response
from rtw_platform.auth import Principal, Purpose, Role, issue_token, verify_session_token, verify_token
from rtw_platform.cli import app as cli
from rtw_platform.errors import Invalid
from rtw_platform.sessions import RevokedSessions
from rtw_platform.settings import ServiceSettings
from rtw_platform.web import FormErrors, Pages, read_form, safe_next, signed_in, start_session
from rtw_platform.web.install import install_pages
from rtw_platform.web.pages import CSRF_COOKIE, SESSION_COOKIE, STATIC
from typer.testing import CliRunner

pytestmark = pytest.mark.unit

SECRET = "s" * 40


def _app(tmp_path: Path) -> FastAPI:
    (tmp_path / "hello.html").write_text(
        '{% extends "base.html" %}{% block title %}Hello{% endblock %}'
        '{% block content %}<form method="post">{% include "csrf.html" %}</form>{% endblock %}'
    )
    pages = Pages("test", tmp_path)
    app = FastAPI()
    app.state.settings = ServiceSettings(token_secret=SECRET)
    app.state.revoked_sessions = RevokedSessions()
    app.state.revoked_sessions.loaded_from([])
    install_pages(app)

    @app.get("/hello", include_in_schema=False)
    async def hello(request: Request) -> Response:
        return pages.render(request, "hello.html")

    @app.post("/hello", include_in_schema=False)
    async def posted(request: Request) -> Response:
        await read_form(request)
        return Response("accepted")

    @app.get("/private", include_in_schema=False)
    async def private(request: Request) -> Response:
        who = signed_in(request, Role.ASSESSOR)
        return Response(who.subject)

    @app.get("/start-session", include_in_schema=False)
    async def session(request: Request) -> Response:
        response = Response("ok")
        start_session(request, response, Principal(subject="a-1", role=Role.ASSESSOR))  # type: ignore[arg-type]
        return response

    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_form_is_accepted_only_with_the_token_of_the_browsers_cookie(tmp_path: Path) -> None:
    async with _client(_app(tmp_path)) as client:
        page = await client.get("/hello")
        token = client.cookies[CSRF_COOKIE]
        assert f'value="{token}"' in page.text
        assert (await client.post("/hello", data={"csrf_token": token})).text == "accepted"
        refused = await client.post("/hello", data={"csrf_token": token + "x"})
        assert refused.status_code == 400
        assert "could not be sent" in refused.text
        client.cookies.delete(CSRF_COOKIE)
        assert (await client.post("/hello", data={"csrf_token": token})).status_code == 400


async def test_a_protected_page_sends_the_wrong_person_to_sign_in_and_lets_the_right_one_in(
    tmp_path: Path,
) -> None:
    async with _client(_app(tmp_path)) as client:
        bounced = await client.get("/private", headers={"x-forwarded-prefix": "/assessment"})
        assert bounced.status_code == 303
        assert bounced.headers["location"] == "/applications/account/staff-sign-in?next=/assessment/private"
        await client.get("/start-session")
        session = client.cookies[SESSION_COOKIE]
        assert verify_session_token(SECRET, session).principal.role is Role.ASSESSOR
        assert (await client.get("/private")).text == "a-1"


async def test_a_revoked_session_is_refused_without_asking_the_database(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with _client(app) as client:
        await client.get("/start-session")
        session = verify_session_token(SECRET, client.cookies[SESSION_COOKIE])
        assert (await client.get("/private")).text == "a-1"
        app.state.revoked_sessions.remember(session.id, session.expires_at)
        refused = await client.get("/private")
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/applications/account/staff-sign-in")


async def test_no_session_is_accepted_before_the_revoked_sessions_are_loaded(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with _client(app) as client:
        await client.get("/start-session")
        app.state.revoked_sessions = RevokedSessions()  # e.g. the database was away at start-up
        assert (await client.get("/private")).status_code == 303
        del app.state.revoked_sessions
        assert (await client.get("/private")).status_code == 303


async def test_a_bearer_token_planted_as_the_session_cookie_is_refused(tmp_path: Path) -> None:
    async with _client(_app(tmp_path)) as client:
        client.cookies.set(SESSION_COOKIE, issue_token(SECRET, Principal("a-1", Role.ASSESSOR)))
        assert (await client.get("/private")).status_code == 303


def test_revoked_sessions_are_forgotten_an_hour_after_they_would_have_expired() -> None:
    revoked = RevokedSessions()
    assert not revoked.admits(uuid4())
    revoked.loaded_from([])
    old, recent = uuid4(), uuid4()
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    revoked.remember(old, at - timedelta(hours=2))
    revoked.remember(recent, at - timedelta(minutes=30))
    assert not revoked.admits(old)
    assert not revoked.admits(recent)
    revoked.forget_expired(at)
    assert len(revoked) == 1
    assert not revoked.admits(recent)


async def test_the_page_frame_names_the_service_without_gov_uk_branding(tmp_path: Path) -> None:
    async with _client(_app(tmp_path)) as client:
        html = (await client.get("/hello", headers={"x-forwarded-prefix": "/applications"})).text
    assert "<title>Hello \u2013 Return to Work</title>" in html
    assert 'href="/applications/static/rtw.css"' in html
    assert "govuk-header__logotype" not in html
    assert "crown" not in html.lower()
    assert 'href="#main-content"' in html  # the skip link


def test_the_stylesheet_uses_no_gov_uk_typeface_or_images() -> None:
    css = (STATIC / "rtw.css").read_text()
    assert css.startswith("/* govuk-frontend 6.")
    assert "GDS Transport" not in css
    assert "@font-face" not in css
    assert {p.name for p in STATIC.iterdir()} == {
        "rtw.css",
        "govuk-frontend.min.js",
        "rtw-js-enabled.js",
        "rtw-init.js",
        "rtw-api-docs.js",  # starts Swagger UI on /docs
        "api-docs",  # Swagger UI and ReDoc, served locally (rtw_platform.api_docs)
    }
    for viewer in (STATIC / "api-docs").iterdir():
        assert "GDS Transport" not in viewer.read_text(errors="replace")


async def test_the_stylesheet_is_served(tmp_path: Path) -> None:
    async with _client(_app(tmp_path)) as client:
        response = await client.get("/static/rtw.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ("/applications/my", "/applications/my"),
        ("https://evil.example/", "/home"),
        ("//evil.example/x", "/home"),
        ("/\\evil.example", "/home"),
        ("", "/home"),
        (None, "/home"),
    ],
)
def test_after_signing_in_people_go_only_to_a_page_of_this_host(asked: str | None, expected: str) -> None:
    assert safe_next(asked, "/home") == expected


def test_a_refusal_becomes_errors_on_the_fields_it_names() -> None:
    refusal = Invalid([("answers.phone", "Enter a phone number")])
    errors = FormErrors.from_refusal(refusal, {"answers.phone": "phone"})
    assert errors.message("phone") == {"text": "Enter a phone number", "visuallyHiddenText": "Error"}
    assert errors.summary() == [{"text": "Enter a phone number", "href": "#phone"}]
    assert not FormErrors()


def test_the_error_summary_links_each_field_and_a_whole_form_problem_to_the_main_content() -> None:
    errors = FormErrors()
    errors.add("email", "Enter an e-mail address")  # names before and after "form" alike
    errors.add("form", "This vacancy has closed")
    errors.add("town", "Enter a town")
    assert [item["href"] for item in errors.summary()] == ["#email", "#main-content", "#town"]


def test_an_operator_prints_a_single_use_sign_in_link_for_staff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTW_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("RTW_PUBLIC_URL", "https://returners.example.org")
    result = CliRunner().invoke(cli, ["token", "issue", "--role", "assessor", "--subject", "as-7", "--link"])
    assert result.exit_code == 0, result.output
    match = re.fullmatch(r"https://returners\.example\.org/applications/sign-in/(\S+)\n", result.output)
    assert match is not None, result.output
    principal = verify_token(SECRET, match.group(1), purpose=Purpose.SIGN_IN)
    assert (principal.role, principal.subject) == (Role.ASSESSOR, "as-7")
    refused = CliRunner().invoke(
        cli, ["token", "issue", "--role", "recruiter", "--subject", "r", "--council", "E1", "--link"]
    )
    assert refused.exit_code == 2


async def test_a_forwarded_prefix_that_is_not_a_plain_path_is_ignored(tmp_path: Path) -> None:
    """Reached directly (not through the entry proxy, which sets the header itself), a client's own
    X-Forwarded-Prefix must not send redirects, scripts or the API document to another host."""
    async with _client(_app(tmp_path)) as client:
        for hostile in ("//evil.example", "/\\evil.example", '/a"><script>x</script>', "/a b", "/%2f%2fevil"):
            bounced = await client.get("/private", headers={"x-forwarded-prefix": hostile})
            assert bounced.headers["location"] == "/applications/account/staff-sign-in?next=/private", hostile
            html = (await client.get("/hello", headers={"x-forwarded-prefix": hostile})).text
            assert 'href="/static/rtw.css"' in html, hostile
