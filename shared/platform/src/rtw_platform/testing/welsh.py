"""Checks that pages for people are in Welsh: the catalogue is complete for a fresh extraction of
the marked words, and a page rendered in Welsh shows no words left as they are in English."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ..web.i18n import catalogue_path

ROOT = Path(__file__).resolve().parents[5]
#: Where `make translations` extracts the marked words from (keep in step with babel.cfg).
METHODS = [
    ("services/*/src/**.py", "python"),
    ("shared/platform/src/**.py", "python"),
    ("services/*/src/**/templates/**.html", "jinja2"),
    ("shared/platform/src/**/templates/**.html", "jinja2"),
]
JINJA = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}

#: Words that are the same in both languages (the switch's names, and things that are names).
#: ("Hybrid" is the Welsh word too: `WorkMode.HYBRID` in labels.py.)
SAME_IN_BOTH = {"English", "Cymraeg", "|", "Beta", "PDF", "JSON", "UTC", "MP4", "ICT", "km", "Hybrid"}
#: Data shown as it was given: references, postcodes, e-mail addresses, numbers and dates in digits.
DATA = re.compile(
    r"^(RTW-[A-Z]+-\d+|[A-Z]{1,2}\d[A-Z\d]?( \d[A-Z]{2})?|\S+@\S+|[\d\s.,:/%£\u2013-]+"
    r"|[\d.,]+ ?(km|MB)|[A-Z0-9-]{6,})$"
)


def extracted_messages(root: Path = ROOT) -> set[str]:
    """Every msgid a fresh extraction finds (what `make translations` would put in the catalogue)."""
    found: set[str] = set()
    for folder in ("services", "shared/platform"):
        here = [
            (pattern.removeprefix(f"{folder}/"), method)
            for pattern, method in METHODS
            if pattern.startswith(folder)
        ]
        options = {pattern: JINJA for pattern, method in here if method == "jinja2"}
        for _file, _line, message, _comments, _context in extract_from_dir(
            root / folder, here, options, KEYWORDS
        ):
            singular = message[0] if isinstance(message, tuple) else message  # a plural's key
            if singular:
                found.add(singular)
    return found


def missing_translations(messages: Iterable[str], language: str = "cy") -> list[str]:
    """The messages the language's catalogue does not translate (absent, empty or fuzzy)."""
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    missing = []
    for message in sorted(set(messages)):
        entry = catalog.get(message)
        translated = (
            entry is not None
            and not entry.fuzzy
            and (all(entry.string) if isinstance(entry.string, tuple) else bool(entry.string))
        )
        if not translated:
            missing.append(message)
    return missing


class _Texts(HTMLParser):
    """The visible text nodes of a page (and its title), in order."""

    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._hidden:
            self.texts.append(text)


def visible_texts(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def untranslated(welsh_html: str, english_html: str, allowed: Iterable[str] = ()) -> list[str]:
    """The words of the Welsh page that are as they are on the English page: each visible text of
    the Welsh page found among the English page's, unless allowed (names, data, the switch)."""
    english = set(visible_texts(english_html))
    allow = SAME_IN_BOTH | set(allowed)
    return [
        text
        for text in visible_texts(welsh_html)
        if text in english and text not in allow and not DATA.match(text) and re.search(r"[A-Za-z]", text)
    ]


def without_language_switch(page: str) -> str:
    """The page without its English | Cymraeg links, which keep the address's query (the same page
    in the other language) and lead nowhere but here."""
    return re.sub(r"<a [^>]*hreflang[^>]*>.*?</a>", "", page, flags=re.S)
