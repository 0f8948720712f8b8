"""Messages from templates: Jinja2, English and Welsh, plain text and HTML.

Each template (`templates/<language>/<name>.j2`) has a `subject` and a `body` block. Undefined
values are errors, never blanks. The HTML part is made from the body: paragraphs, bullet lists
(lines starting `* `) and links, all escaped.

A message links only to the platform: the values that are links (`LINK_VALUES`) must be under
`portal_url`, and every other value (names, vacancy titles, council names, reasons: text that
people typed) has anything a mail client would make a link of defanged: a scheme (`https://`) is
removed and the dots of a domain or address are written `[.]` ("evil.example" becomes
"evil[.]example", "a@b.example" becomes "a@b[.]example"). Only URLs under `portal_url` become
`<a href>` in the HTML part, and a message that still holds another URL is refused (ForeignLink).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, UndefinedError
from rtw_platform.web.i18n import translations

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
_URL = re.compile(r"(https?://[^\s<]+)", re.IGNORECASE)

#: The values that are links; each must be under the message's `portal_url`.
LINK_VALUES = frozenset({"portal_url", "unsubscribe_url", "link", "certificate_url"})

# A scheme that mail clients make links of: "https://" (or "http:\\"), "ftp://", "mailto:".
_SCHEME = re.compile(r"(?:(?:https?|ftps?|file)\s*:\s*[/\\]+|\bmailto\s*:)", re.IGNORECASE)
# Dots (and the look-alikes some clients accept) between the labels of a domain: "a.b", "a。b".
_DOT = "[.\u3002\uff0e\uff61]"
_DOMAIN = re.compile(rf"[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[^\W\d_][\w-]*")


class ForeignLink(ValueError):
    """A message would link somewhere that is not the platform."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def template_names() -> list[str]:
    """Every template (the English set is the reference)."""
    return sorted(name[3:-3] for name in _ENV.list_templates() if name.startswith("en/"))


def render(name: str, language: str, values: dict[str, Any]) -> Rendered:
    """Render a message; a missing value raises (jinja2.UndefinedError). `values["portal_url"]`
    is the platform's address: the message links there only (ForeignLink otherwise)."""
    language = language if language in LANGUAGES else "en"
    if "portal_url" not in values:
        raise UndefinedError("'portal_url' is undefined: a message links only under the platform's address")
    portal = str(values["portal_url"]).rstrip("/")
    if not _URL.fullmatch(portal):
        raise ForeignLink(f"the platform's address is not a URL: {portal!r}")
    safe = {
        key: _own_link(value, portal) if key in LINK_VALUES else defang(value)
        for key, value in values.items()
    }
    template = _ENV.get_template(f"{language}/{name}.j2")
    context = template.new_context({"team": TEAM[language], **safe})
    subject = " ".join("".join(template.blocks["subject"](context)).split())
    text = "".join(template.blocks["body"](context)).strip() + "\n"
    for url in _URL.findall(subject + "\n" + text):
        if not is_under(url, portal):
            raise ForeignLink(f"the {name} message would link outside the platform")
    return Rendered(subject=subject, text=text, html=to_html(subject, text, language, portal))


def is_under(url: str, portal: str) -> bool:
    """True if `url` is the platform's address `portal` or a page under it."""
    return url == portal or url.startswith(portal + "/")


def _own_link(value: Any, portal: str) -> Any:
    if not is_under(str(value), portal):
        raise ForeignLink("a link in a message must be under the platform's address (portal_url)")
    return value


def defang(value: Any) -> Any:
    """Text that no mail client makes a link of: schemes removed, domains' dots written "[.]".
    Lists are defanged item by item; numbers and flags are kept."""
    if isinstance(value, str):
        without_schemes, previous = value, None
        while without_schemes != previous:  # "hthttp://tp://" is "http://" once its inside goes
            previous, without_schemes = without_schemes, _SCHEME.sub("", without_schemes)
        return _DOMAIN.sub(lambda m: re.sub(_DOT, "[.]", m.group(0)), without_schemes)
    if isinstance(value, list | tuple):
        return [defang(item) for item in value]
    return value


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


def translated(text: str, language: str) -> str:
    """A marked text (rtw_platform.marking.N_) in the language, from the catalogue."""
    return translations(language).gettext(text)


def programme_title(programme: str, language: str) -> str:
    """The programme's name in the language."""
    return PROGRAMME_TITLES.get(language, PROGRAMME_TITLES["en"]).get(programme, programme)


def _inline(line: str, portal: str) -> str:
    escaped = html.escape(line)
    own = html.escape(portal)
    return _URL.sub(
        lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>' if is_under(m.group(1), own) else m.group(1),
        escaped,
    )


def to_html(subject: str, text: str, language: str, portal: str) -> str:
    """A simple, accessible HTML version of the text; only URLs under `portal` become links."""
    blocks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in paragraph.splitlines() if line.strip()]
        if lines and all(line.startswith("* ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:], portal)}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append("<p>" + "<br>".join(_inline(line, portal) for line in lines) + "</p>")
    body = "\n".join(blocks)
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>"
        f'<body style="font-family: Arial, sans-serif; font-size: 16px; color: #0b0c0c">{body}</body></html>'
    )
