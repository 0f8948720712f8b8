"""Messages from templates: Jinja2, English and Welsh, plain text and HTML.

Each template (`templates/<language>/<name>.j2`) has a `subject` and a `body` block. Undefined
values are errors, never blanks. The HTML part is made from the body: paragraphs, bullet lists
(lines starting `* `) and links, all escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

LANGUAGES = ("en", "cy")
TEAM = {"en": "The Return to Work team", "cy": "Tîm Dychwelyd i'r Gwaith"}
PROGRAMME_TITLES = {
    "en": {
        "ict": "Return to Work - ICT",
        "social_work": "Return to Social Work",
        "planning": "Return to Planning",
        "legal": "Return to Legal",
    },
    "cy": {
        "ict": "Dychwelyd i'r Gwaith - TGCh",
        "social_work": "Dychwelyd i Waith Cymdeithasol",
        "planning": "Dychwelyd i Gynllunio",
        "legal": "Dychwelyd i'r Gyfraith",
    },
}

_ENV = Environment(
    loader=PackageLoader("rtw_notifications", "templates"),
    undefined=StrictUndefined,
    autoescape=False,  # plain text; the HTML part is escaped when it is built
    keep_trailing_newline=False,
)
_URL = re.compile(r"(https?://[^\s<]+)")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def template_names() -> list[str]:
    """Every template (the English set is the reference)."""
    return sorted(name[3:-3] for name in _ENV.list_templates() if name.startswith("en/"))


def render(name: str, language: str, values: dict[str, Any]) -> Rendered:
    """Render a message; a missing value raises (jinja2.UndefinedError)."""
    language = language if language in LANGUAGES else "en"
    template = _ENV.get_template(f"{language}/{name}.j2")
    context = template.new_context({"team": TEAM[language], **values})
    subject = " ".join("".join(template.blocks["subject"](context)).split())
    text = "".join(template.blocks["body"](context)).strip() + "\n"
    return Rendered(subject=subject, text=text, html=to_html(subject, text, language))


MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
    "cy": ("Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin", "Gorffennaf", "Awst", "Medi",
           "Hydref", "Tachwedd", "Rhagfyr"),
}  # fmt: skip


def long_date(day: date | datetime, language: str) -> str:
    """e.g. "06 November 2031" or "06 Tachwedd 2031"."""
    months = MONTHS.get(language, MONTHS["en"])
    return f"{day.day:02d} {months[day.month - 1]} {day.year}"


def programme_title(programme: str, language: str) -> str:
    """The programme's name in the language."""
    return PROGRAMME_TITLES.get(language, PROGRAMME_TITLES["en"]).get(programme, programme)


def _inline(line: str) -> str:
    escaped = html.escape(line)
    return _URL.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', escaped)


def to_html(subject: str, text: str, language: str) -> str:
    """A simple, accessible HTML version of the text."""
    blocks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in paragraph.splitlines() if line.strip()]
        if lines and all(line.startswith("* ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    body = "\n".join(blocks)
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body style="font-family: Arial, sans-serif; font-size: 16px; color: #0b0c0c">{body}</body></html>'
    )
