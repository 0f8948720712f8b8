"""The footer's pages (help, accessibility, cookies, privacy) with the contact details from the
settings, and tables labelled for phones."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from rtw_platform.sessions import RevokedSessions
from rtw_platform.settings import ServiceSettings
from rtw_platform.web import footer_pages
from rtw_platform.web.form_state import FORM_STATE_TTL
from rtw_platform.web.i18n import LANGUAGE_COOKIE
from rtw_platform.web.install import install_pages
from rtw_platform.web.pages import CSRF_COOKIE, FORM_STATE_COOKIE, SESSION_COOKIE
from rtw_platform.web.table_labels import label_table_cells

pytestmark = pytest.mark.unit


def _app(**settings: Any) -> FastAPI:
    app = FastAPI()
    app.state.settings = ServiceSettings(token_secret="s" * 40, **settings)
    app.state.revoked_sessions = RevokedSessions()
    app.state.revoked_sessions.loaded_from([])
    install_pages(app)
    app.include_router(footer_pages.router)
    return app


async def _get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


@pytest.mark.parametrize("path", ["/help", "/accessibility", "/cookies", "/privacy-notice"])
async def test_each_footer_page_shows_the_configured_contact_without_signing_in(path: str) -> None:
    default = await _get(_app(), path)
    assert default.status_code == 200
    assert "returntowork@example.org" in default.text
    configured = await _get(
        _app(contact_email="help@council.example", contact_team="The Walsall programme team"), path
    )
    assert "help@council.example" in configured.text
    assert "returntowork@example.org" not in configured.text


async def test_the_help_page_shows_a_telephone_number_only_when_one_is_set() -> None:
    assert "Telephone:" not in (await _get(_app(), "/help")).text
    page = await _get(_app(contact_phone="0300 123 4567", contact_hours="Weekdays 8am to 6pm"), "/help")
    assert "0300 123 4567" in page.text
    assert "Weekdays 8am to 6pm" in page.text


async def test_the_privacy_notice_has_its_own_address_for_data_protection_and_the_retention_period() -> None:
    page = await _get(_app(privacy_email="dpo@council.example"), "/privacy-notice")
    assert "dpo@council.example" in page.text
    assert f"Version {footer_pages.PRIVACY_NOTICE_VERSION}" in page.text
    assert "24 months after the final outcome" in page.text


async def test_the_cookies_page_lists_each_cookie_the_pages_set() -> None:
    """The language switch's cookie (a year) and a refused form's (what was typed, ten minutes)
    were set by every page but not named on the cookies page."""
    page = await _get(_app(), "/cookies")
    for name in (SESSION_COOKIE, CSRF_COOKIE, LANGUAGE_COOKIE, FORM_STATE_COOKIE):
        assert f"<code>{name}</code>" in page.text
    assert FORM_STATE_TTL.total_seconds() == 600  # as the page says
    assert "10 minutes, or when the form" in page.text
    assert "8 hours, or when you sign out" in page.text
    assert "When you close your browser" in page.text
    assert "Remembers the language you chose" in page.text
    assert "1 year" in page.text
    assert "what you typed in a form" in page.text
    assert "10 minutes, or when the form is shown again" in page.text
    assert "Both cookies" not in page.text


async def test_every_page_footer_links_to_the_four_pages() -> None:
    page = await _get(_app(), "/help")
    for path in ("/help", "/accessibility", "/cookies", "/privacy-notice"):
        assert f'class="govuk-footer__link" href="/applications{path}"' in page.text


def test_body_cells_are_labelled_with_their_column_heading() -> None:
    html = (
        '<table class="govuk-table">\n<thead><tr><th scope="col">Programme</th>'
        '<th colspan="2">Status <span class="govuk-visually-hidden">and date</span></th><th></th></tr></thead>\n'
        '<tbody><tr><th scope="row">ICT</th>\n<td>Sent</td><td data-label="Own">1 May</td><td>x</td></tr>\n'
        "<tr><td>A &amp; &quot;B&quot;</td></tr></tbody></table>"
    )
    labelled = label_table_cells(html)
    assert '<th data-label="Programme" scope="row">ICT</th>' in labelled
    assert '<td data-label="Status and date">Sent</td>' in labelled
    assert '<td data-label="Own">1 May</td>' in labelled  # a label written by hand is kept
    assert "<td>x</td>" in labelled  # a column without a heading has no label
    assert '<td data-label="Programme">A &amp; &quot;B&quot;</td>' in labelled
    assert (
        labelled.replace(' data-label="Programme"', "").replace(' data-label="Status and date"', "") == html
    )


def test_nested_tables_and_headings_with_markup_are_labelled_from_their_own_table() -> None:
    html = (
        "<table><thead><tr><th>Outer &lt;1&gt;</th></tr></thead><tbody><tr><td>"
        "<table><thead><tr><th>Inner</th></tr></thead><tbody><tr><td>i</td></tr></tbody></table>"
        "</td></tr><tr><td>o</td></tr></tbody></table>"
    )
    labelled = label_table_cells(html)
    assert '<td data-label="Outer &lt;1&gt;"><table>' in labelled
    assert '<td data-label="Inner">i</td>' in labelled
    assert '<td data-label="Outer &lt;1&gt;">o</td>' in labelled


def test_a_page_without_a_table_or_a_head_is_left_as_it_is() -> None:
    assert label_table_cells("<p>No table</p>") == "<p>No table</p>"
    bare = "<table><tr><td>a</td></tr></table>"
    assert label_table_cells(bare) == bare


#: The sections of GOV.UK's model accessibility statement for public sector websites, in its order.
MODEL_SECTIONS = (
    "Accessibility statement for Return to Work",
    "How accessible this service is",
    "Feedback and contact information",
    "Reporting accessibility problems with this service",
    "Enforcement procedure",
    "Technical information about this service\N{RIGHT SINGLE QUOTATION MARK}s accessibility",
    "Compliance status",
    "Non-accessible content",
    "Non-compliance with the accessibility regulations",
    "How we tested this service",
    "Preparation of this accessibility statement",
)


async def test_the_accessibility_statement_has_the_model_statements_sections_and_its_dates_from_settings() -> (
    None
):
    page = (
        await _get(
            _app(
                contact_team="The Walsall programme team",
                contact_email="access@council.example",
                contact_reply_days=1,
                accessibility_prepared="2027-03-01",
                accessibility_reviewed="2027-06-15",
                accessibility_tested="2027-06-14",
            ),
            "/accessibility",
        )
    ).text
    headings = [
        re.sub(r"\s+", " ", h).strip() for h in re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", page, re.S)
    ]
    found = [h for h in headings if h in MODEL_SECTIONS]
    assert found == list(MODEL_SECTIONS), headings
    # Who runs it, how to reach them (the configured contact, not an invented address).
    assert "The Walsall programme team runs it." in page
    assert 'href="mailto:access@council.example"' in page
    assert "within 1 working day." in page
    # The enforcement bodies: the EHRC, and the ECNI for Northern Ireland.
    for body in (
        "Equality and Human Rights Commission (EHRC)",
        "Equality Commission for Northern Ireland (ECNI)",
    ):
        assert body in page
    # The standard and the status, and what the tests show.
    assert "partially compliant with the Web Content Accessibility Guidelines version 2.2 AA" in page
    for tested in ("axe", "320 and 390 pixels", "only a keyboard", "in Welsh"):
        assert tested in page, tested
    assert "captions" in page  # the videos have none: said, not hidden
    # The dates are the operator's and the build's, in words.
    assert "This statement was prepared on 1 March 2027." in page
    assert "It was last reviewed on 15 June 2027." in page
    assert "last tested on 14 June 2027" in page
    assert "December 2026" not in page


async def test_an_undated_accessibility_statement_says_so_rather_than_inventing_a_date() -> None:
    page = (await _get(_app(), "/accessibility")).text
    assert "This statement has not yet been dated." in page
    assert "prepared on" not in page
    assert "last tested on" not in page
    assert "within 5 working days." in page
