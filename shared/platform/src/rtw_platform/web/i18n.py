"""Pages in English and Welsh: the page's language, chosen per request, and the Welsh catalogue.

The language of a page is, in order: `?lang=cy` / `?lang=en` in its address (the header's switch
links there, and the choice is then remembered in the `rtw_lang` cookie), the `rtw_lang` cookie,
then the browser's first preference when it is Welsh (`Accept-Language: cy`); otherwise English.

Words are marked in templates with `{{ _("…") }}` / `{% trans %}` and in Python with `N_("…")`
(a marker only: the words are translated where they are shown, e.g. a form's error messages by
`FormErrors`). The catalogue is `rtw_platform/locale/cy/LC_MESSAGES/messages.po`; it is compiled
in memory when first used (a compiled `messages.mo` beside it is used when it is the newer), so
nothing is downloaded or built at run time. `make translations` extracts, updates and compiles it
(docs/welsh.md).
"""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from rtw_contracts.labels import reading_language

from ..marking import N_ as N_  # re-exported: the pages mark their words with it from here

#: The cookie remembering the language a person chose (a year; not a secret, readable by no script).
LANGUAGE_COOKIE = "rtw_lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_PARAMETER = "lang"
ENGLISH = "en"
WELSH = "cy"
LANGUAGES = (ENGLISH, WELSH)
#: Each language's name in itself, for the switch in the header.
NATIVE_NAMES = {ENGLISH: "English", WELSH: "Cymraeg"}
_BABEL_LOCALES = {ENGLISH: "en_GB", WELSH: "cy_GB"}
LOCALE = Path(__file__).parent.parent / "locale"
DOMAIN = "messages"

_page_language: ContextVar[str] = ContextVar("rtw_page_language", default=ENGLISH)


def catalogue_path(language: str = WELSH) -> Path:
    """The language's `.po` source."""
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The language's translations (English is the source: no catalogue)."""
    if language not in LANGUAGES or language == ENGLISH:
        return gettext_module.NullTranslations()
    source = catalogue_path(language)
    compiled = source.with_suffix(".mo")
    if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
        return gettext_module.GNUTranslations(BytesIO(compiled.read_bytes()))
    with source.open("rb") as po:
        catalog = read_po(po, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out: they are shown in English
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def current_language() -> str:
    """The language of the page being made ('en' outside a request)."""
    return _page_language.get()


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Make pages, messages and the contracts' labels in `language` within the block."""
    language = language if language in LANGUAGES else ENGLISH
    token = _page_language.set(language)
    label_token = reading_language.set(language)
    try:
        yield
    finally:
        reading_language.reset(label_token)
        _page_language.reset(token)


def gettext(message: str) -> str:
    """`message` in the current page's language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural `message` for `n`, in the current page's language."""
    return translations(current_language()).ngettext(singular, plural, n)


#: A number whose plural form is "other" in English and in Welsh (CLDR), as a fraction's is.
_OTHER = 100


def plural_count(value: float) -> int:
    """The count to choose a plural form by: a whole number as it is; a fraction (7.5 hours)
    takes the form of "other", as it does in English and Welsh (gettext's rules take whole
    numbers only)."""
    return int(value) if float(value).is_integer() else _OTHER


def chosen_language(query: Any, cookies: Any, accept_language: str = "") -> str:
    """The page's language from the address's `?lang=`, the cookie, then the browser's first wish."""
    for candidate in (query.get(LANGUAGE_PARAMETER), cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return str(candidate)
    first = accept_language.split(",")[0].split(";")[0].strip().lower()
    return WELSH if first.split("-")[0] == WELSH else ENGLISH


def wanted_language(query: Any) -> str | None:
    """The language the address asks to switch to (`?lang=`), if any."""
    value = query.get(LANGUAGE_PARAMETER)
    return str(value) if value in LANGUAGES else None


class PageLanguage:
    """ASGI middleware: answer each request in its page's language, so that words made by a route
    before its page is rendered (labels, `gettext`) are in it too."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request

        request = Request(scope)
        language = chosen_language(
            request.query_params, request.cookies, request.headers.get("accept-language", "")
        )
        with speaking(language):
            await self.app(scope, receive, send)


def long_date(day: Any) -> str:
    """A day in words in the page's language: '4 December 2026', '4 Rhagfyr 2026' (templates:
    `{{ day | long_date }}`)."""
    if day is None:
        return ""
    return format_date(day, "d MMMM y", locale=_BABEL_LOCALES[current_language()])


def long_datetime(moment: Any) -> str:
    """A day and time in words: '4 December 2026 at 09:30', '4 Rhagfyr 2026 am 09:30'."""
    if moment is None:
        return ""
    return gettext("%(day)s at %(time)s") % {"day": long_date(moment), "time": f"{moment:%H:%M}"}


def month_year(day: Any) -> str:
    """A month in words: 'March 2021', 'Mawrth 2021'."""
    return format_date(day, "MMMM y", locale=_BABEL_LOCALES[current_language()])
