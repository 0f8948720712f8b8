"""Pages in Welsh: the header's switch and `lang`, the remembered choice, the catalogue complete for
a fresh extraction, and an error page with no English left in it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter
from fastapi.responses import Response
from rtw_contracts import Programme
from rtw_platform.db import service_registry
from rtw_platform.errors import NotFound
from rtw_platform.http import create_app
from rtw_platform.service import ServiceDefinition
from rtw_platform.testing.welsh import extracted_messages, missing_translations, untranslated, visible_texts
from rtw_platform.web import FormErrors
from rtw_platform.web.i18n import LANGUAGE_COOKIE, chosen_language, gettext, speaking

pytestmark = pytest.mark.unit

BROWSER = {"accept": "text/html"}


def _client(cookies: dict[str, str] | None = None) -> httpx.AsyncClient:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/things/{name}")
    async def thing_page(name: str) -> Response:
        raise NotFound("There is no such thing.")

    @pages.get("/label")
    async def label() -> dict[str, str]:
        return {"label": Programme.ICT.label}

    definition = ServiceDefinition(
        name="things",
        title="Things",
        description="",
        registry=service_registry("things"),
        package_file=__file__,
        routers=(pages,),
    )
    app = create_app(definition, configure_logs=False)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://t",
        cookies=cookies,
    )


def test_every_marked_word_has_a_welsh_translation() -> None:
    """(a) Run against a fresh extraction: a word marked but not yet in the catalogue fails too."""
    messages = extracted_messages()
    assert len(messages) > 40  # the extraction found the templates
    missing = missing_translations(messages)
    assert not missing, (
        f"{len(missing)} words have no Welsh yet (make translations; docs/welsh.md): {missing}"
    )


def test_the_language_is_the_address_s_then_the_cookie_s_then_the_browser_s() -> None:
    assert chosen_language({"lang": "cy"}, {LANGUAGE_COOKIE: "en"}) == "cy"
    assert chosen_language({"lang": "fr"}, {LANGUAGE_COOKIE: "cy"}) == "cy"
    assert chosen_language({}, {}, "cy-GB,en;q=0.5") == "cy"
    assert chosen_language({}, {}, "en-GB,cy;q=0.5") == "en"
    assert chosen_language({}, {LANGUAGE_COOKIE: "xx"}) == "en"


def test_labels_and_messages_follow_the_page_s_language() -> None:
    assert Programme.ICT.label == "ICT and digital"
    with speaking("cy"):
        assert Programme.ICT.label == "TGCh a digidol"
        assert gettext("Page not found") == "Heb ddod o hyd i'r dudalen"
        assert gettext("Words nobody marked") == "Words nobody marked"
    assert gettext("Page not found") == "Page not found"


def test_a_field_s_error_is_announced_in_the_page_s_language() -> None:
    """govuk reads a hidden "Error:" before each field's message unless told otherwise: a Welsh
    page's screen reader heard English before every problem."""
    errors = FormErrors({"name": "Enter your first name"})
    with speaking("cy"):
        welsh = errors.message("name")
    assert welsh == {"text": "Rhowch eich enw cyntaf", "visuallyHiddenText": "Gwall"}
    english = errors.message("name")
    assert english == {"text": "Enter your first name", "visuallyHiddenText": "Error"}


async def test_the_switch_chooses_welsh_and_the_cookie_remembers_it() -> None:
    async with _client() as client:
        english = await client.get("/things/x", headers=BROWSER)
        assert '<html lang="en"' in english.text
        assert 'href="?lang=cy" lang="cy" hreflang="cy">Cymraeg</a>' in english.text
        welsh = await client.get("/things/x?lang=cy", headers=BROWSER)
        assert '<html lang="cy"' in welsh.text
        assert welsh.headers["content-language"] == "cy"
        assert 'href="?lang=en" lang="en" hreflang="en">English</a>' in welsh.text
        assert welsh.cookies[LANGUAGE_COOKIE] == "cy"
        [remembered_as] = [c for c in welsh.headers.get_list("set-cookie") if c.startswith(LANGUAGE_COOKIE)]
        assert "httponly" in remembered_as.lower()  # no script reads it
        assert "Heb ddod o hyd i'r dudalen" in visible_texts(welsh.text)
    async with _client({LANGUAGE_COOKIE: "cy"}) as remembered:
        again = await remembered.get("/things/y", headers=BROWSER)
        assert '<html lang="cy"' in again.text
        assert (await remembered.get("/label")).json() == {"label": "TGCh a digidol"}


async def test_the_switch_keeps_the_rest_of_the_query() -> None:
    async with _client() as client:
        page = await client.get("/things/x?page=2&lang=cy&id=7", headers=BROWSER)
    # keys before and after "lang" alike; the language's own replaced
    assert 'href="?page=2&amp;id=7&amp;lang=en"' in page.text


async def test_an_error_page_in_welsh_has_no_english_left() -> None:
    """(b) Every visible word of the Welsh page that is as it is on the English page fails."""
    async with _client() as client:
        english = (await client.get("/things/x?lang=en", headers=BROWSER)).text
        welsh = (await client.get("/things/x?lang=cy", headers=BROWSER)).text
    assert "Page not found" in visible_texts(english)
    # The refusal's own message is the route's words (not in the catalogue): allowed here.
    assert untranslated(welsh, english, allowed={"There is no such thing."}) == []
    assert untranslated(english, english) != []  # the check sees English words


def test_no_template_hides_or_misuses_the_translation_function() -> None:
    """`{% set _ = … %}` would hide gettext for the rest of a template; `_(variable)` would mark
    the variable's words safe HTML (use `{{ variable | translate }}`)."""
    root = Path(__file__).resolve().parents[3]
    found = []
    for template in [
        *root.glob("services/*/src/*/web/templates/**/*.html"),
        *root.glob("shared/platform/src/**/templates/*.html"),
    ]:
        text = template.read_text()
        if re.search(r"{%-?\s*(set|for)\s+_\s*(=|,|in)", text) or re.search(
            r"(?<![\w.])_\(\s*[a-z_][\w.]*\s*[,)]", text
        ):
            found.append(template.name)
    assert found == []
