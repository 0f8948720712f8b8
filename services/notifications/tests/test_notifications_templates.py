"""Every message template, in English and Welsh, with the values the service words it with; and
that e-mails link only to the platform, whatever people typed (vacancy titles, council and people's
names, reasons, module titles): in the subject, the text and the HTML part."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import pytest
import rtw_notifications
from jinja2 import meta
from rtw_notifications.rendering import (
    LANGUAGES,
    LINK_VALUES,
    TEAM,
    ForeignLink,
    defang,
    programme_title,
    render,
    template_names,
)

pytestmark = pytest.mark.unit

PORTAL = "https://returners.example.org"
APPLICATION_ID = "0b9f7a52-6d1e-4c1e-9a55-2f0a1c6d3e11"
VACANCY_ID = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
UNSUBSCRIBE = f"{PORTAL}/notifications/unsubscribe/0b9f7a52-6d1e-4c1e-9a55-2f0a1c6d3e11.abc123"

#: The values the use cases (use_cases/) word each template with (beyond name, portal_url,
#: unsubscribe_url and team, which every message gets).
CONTEXTS: dict[str, dict[str, Any]] = {
    "application_received": {
        "reference": "RTW-ICT-000123",
        "application_id": APPLICATION_ID,
        "programme_title": "Return to Work - ICT",
    },
    "sign_in_link": {
        "link": "https://returners.example.org/sign-in/eyJhbGciOiJIUzI1NiJ9.example",
        "expires": "10:30 UTC, 02 October 2020",
    },
    "not_eligible": {
        "reference": "RTW-ICT-000123",
        "application_id": APPLICATION_ID,
        "programme_title": "Return to Work - ICT",
        "reasons": ["Your career break is shorter than 2 years.", "You need the right to work in the UK."],
        "appeal_by": "30 October 2020",
    },
    "appeal_upheld": {
        "reference": "RTW-ICT-000123",
        "application_id": APPLICATION_ID,
        "programme_title": "Return to Work - ICT",
        "reason": "Your share code shows that you have the right to work in the UK.",
    },
    "appeal_dismissed": {
        "reference": "RTW-ICT-000123",
        "application_id": APPLICATION_ID,
        "programme_title": "Return to Work - ICT",
        "reason": "The share code you gave was not valid.",
    },
    "shortlisted": {
        "reference": "RTW-ICT-000123",
        "application_id": APPLICATION_ID,
        "programme_title": "Return to Work - ICT",
        "deadline": "06 November 2020",
    },
    "not_shortlisted": {
        "reference": "RTW-ICT-000123",
        "application_id": APPLICATION_ID,
        "programme_title": "Return to Social Work",
    },
    "selected": {
        "reference": "RTW-ICT-000123",
        "application_id": APPLICATION_ID,
        "programme_title": "Return to Planning",
    },
    "waitlisted": {
        "reference": "RTW-ICT-000123",
        "application_id": APPLICATION_ID,
        "programme_title": "Return to Legal",
    },
    "not_selected": {
        "reference": "RTW-ICT-000123",
        "application_id": APPLICATION_ID,
        "programme_title": "Return to Work - ICT",
    },
    "selection_reopened": {
        "reference": "RTW-ICT-000123",
        "application_id": APPLICATION_ID,
        "programme_title": "Return to Work - ICT",
    },
    "second_stage_received": {"reference": "RTW-ICT-000123"},
    "application_withdrawn": {"reference": "RTW-ICT-000123"},
    "adjustment_decided": {"reference": "RTW-ICT-000123", "application_id": APPLICATION_ID, "agreed": True},
    "training_enrolled": {
        "curriculum": "Return to Work - ICT",
        "modules": ["Digital in local government", "Cloud fundamentals", "Data protection and UK GDPR"],
    },
    "certificate_issued": {"certificate_url": f"{PORTAL}/certificates/5d1f0c1e-2b3a-4c5d-8e9f-001122334455"},
    "council_registered": {"council": "Walsall"},
    "council_claim_rejected": {"council": "Walsall", "reason": "The address is not a Walsall Council one."},
    "recruiter_invited": {
        "council": "Walsall",
        "link": "https://returners.example.org/recruiters/sign-in/xyz",
    },
    "vacancy_alert": {
        "vacancy": "Data analyst (returner)",
        "council": "Walsall",
        "score": "78",
        "vacancy_id": VACANCY_ID,
    },
    "match_proposed": {
        "vacancy": "Data analyst (returner)",
        "council": "Walsall",
        "score": "78",
        "vacancy_id": VACANCY_ID,
    },
    "council_interest": {"vacancy": "Data analyst (returner)", "council": "Walsall"},
    "candidate_answer": {
        "vacancy": "Data analyst (returner)",
        "vacancy_id": VACANCY_ID,
        "answer": "accepted",
        "accepted": True,
    },
    "hired": {"vacancy": "Data analyst (returner)", "council": "Walsall", "start_date": "06 April 2021"},
    "interview_invited": {
        "vacancy": "Data analyst (returner)",
        "council": "Walsall",
        "day": "27 January 2021",
        "time": "14:00",
        "place": "Civic Centre, room 2",
    },
    "interview_booked": {
        "vacancy": "Data analyst (returner)",
        "council": "Walsall",
        "day": "27 January 2021",
        "time": "14:00",
        "place": "Civic Centre, room 2",
    },
    "interview_slots_proposed": {"vacancy": "Data analyst (returner)", "council": "Walsall", "slots": 3},
    "interview_reminder": {
        "vacancy": "Data analyst (returner)",
        "council": "Walsall",
        "time": "14:00",
        "place": "Civic Centre, room 2",
    },
    "interview_reminder_council": {
        "vacancy": "Data analyst (returner)",
        "council": "Walsall",
        "time": "14:00",
        "place": "Civic Centre, room 2",
    },
    "offer_made": {"vacancy": "Data analyst (returner)", "council": "Walsall"},
    "offer_answered": {
        "vacancy": "Data analyst (returner)",
        "vacancy_id": VACANCY_ID,
        "answer": "accepted",
        "accepted": True,
    },
    "second_stage_reminder": {
        "reference": "RTW-ICT-000123",
        "application_id": APPLICATION_ID,
        "deadline": "06 November 2020",
    },
    "training_overdue": {"expected_end": "31 March 2021"},
}

#: Values that must be visible in the message (the rest may be worded around).
SHOWN = {
    "reference",
    "reason",
    "appeal_by",
    "programme_title",
    "link",
    "expires",
    "deadline",
    "curriculum",
    "certificate_url",
    "council",
    "vacancy",
    "score",
    "start_date",
    "expected_end",
    "day",
    "time",
    "place",
}


def values_for(template: str, name: str = "Priya") -> dict[str, Any]:
    return {"name": name, "portal_url": PORTAL, "unsubscribe_url": UNSUBSCRIBE, **CONTEXTS[template]}


def variables_of(template: str, language: str) -> set[str]:
    env = jinja2.Environment()
    source = (TEMPLATES / language / f"{template}.j2").read_text(encoding="utf-8")
    return meta.find_undeclared_variables(env.parse(source)) - {"team"}


TEMPLATES = Path(rtw_notifications.__file__).parent / "templates"


def test_every_template_has_a_context_here() -> None:
    # If a template is added, this test must learn the values it is worded with.
    assert set(template_names()) == set(CONTEXTS)
    assert len(template_names()) == 33


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_every_template_exists_in_english_and_welsh(template: str) -> None:
    for language in LANGUAGES:
        assert (TEMPLATES / language / f"{template}.j2").is_file(), f"{language}/{template}.j2 is missing"
    assert variables_of(template, "cy") == variables_of(template, "en")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_every_template_renders_with_its_values(template: str, language: str) -> None:
    values = values_for(template)
    rendered = render(template, language, values)

    assert rendered.subject.strip()
    assert "\n" not in rendered.subject
    assert rendered.text.startswith(("Dear Priya,", "Annwyl Priya,"))
    assert rendered.text.endswith("\n")
    assert TEAM[language] in rendered.text
    for key in SHOWN & variables_of(template, language):
        assert str(values[key]) in rendered.subject + rendered.text, f"{key} is not in the message"
    for item in values.get("reasons", []) + values.get("modules", []):
        assert f"* {item}" in rendered.text
    if "unsubscribe_url" in variables_of(template, language):
        assert UNSUBSCRIBE in rendered.text
    assert "{{" not in rendered.text
    assert "{%" not in rendered.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("template", "missing"),
    sorted((t, v) for t in CONTEXTS for v in variables_of(t, "en")),
)
def test_a_missing_value_is_an_error_not_a_blank(template: str, missing: str, language: str) -> None:
    values = values_for(template)
    del values[missing]
    with pytest.raises(jinja2.UndefinedError):
        render(template, language, values)


def test_the_reasons_are_listed_and_the_link_is_given_when_not_eligible() -> None:
    rendered = render("not_eligible", "en", values_for("not_eligible"))

    assert rendered.subject == "Your application RTW-ICT-000123: not eligible"
    assert "* Your career break is shorter than 2 years.\n* You need the right to work in the UK.\n" in (
        rendered.text
    )
    assert "you can appeal until 30 October 2020." in rendered.text
    assert f"{PORTAL}/assessment/my/applications/{APPLICATION_ID}/appeal\n" in rendered.text
    assert (
        "<ul><li>Your career break is shorter than 2 years.</li><li>You need the right to work in the UK.</li></ul>"
        in rendered.html
    )


def test_without_a_known_last_day_the_not_eligible_message_gives_the_28_days() -> None:
    rendered = render("not_eligible", "cy", {**values_for("not_eligible"), "appeal_by": None})
    assert "gallwch apelio o fewn 28 diwrnod." in rendered.text
    assert "None" not in rendered.text


def test_the_appeal_outcome_gives_the_reason_and_links_the_application() -> None:
    upheld = render("appeal_upheld", "en", values_for("appeal_upheld"))
    dismissed = render("appeal_dismissed", "cy", values_for("appeal_dismissed"))

    assert upheld.subject == "Your appeal was upheld (RTW-ICT-000123)"
    assert "Your share code shows that you have the right to work in the UK." in upheld.text
    assert "Your application is back in the selection." in upheld.text
    assert f"{PORTAL}/applications/my/applications/{APPLICATION_ID}\n" in upheld.text
    assert dismissed.subject == "Ni chafodd eich apêl ei chadarnhau (RTW-ICT-000123)"
    assert "The share code you gave was not valid." in dismissed.text
    assert "Mae'r penderfyniad hwn yn derfynol." in dismissed.text


def test_the_council_answer_links_the_vacancy_only_when_accepted() -> None:
    accepted = render("candidate_answer", "en", values_for("candidate_answer"))
    declined = render(
        "candidate_answer",
        "en",
        {**values_for("candidate_answer"), "answer": "declined", "accepted": False},
    )

    assert accepted.subject == "A returner has accepted your interest (Data analyst (returner))"
    assert f"{PORTAL}/matching/council/vacancies/{VACANCY_ID}" in accepted.text
    assert declined.subject == "A returner has declined your interest (Data analyst (returner))"
    assert "/vacancies/" not in declined.text


def test_the_html_part_escapes_what_people_typed_and_links_urls() -> None:
    rendered = render(
        "application_received", "en", values_for("application_received", name='<script>alert("x")</script>')
    )

    assert "Dear <script>" in rendered.text  # the text part is as typed
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in rendered.html
    url = f"{PORTAL}/applications/my/applications/{APPLICATION_ID}"
    assert f'<a href="{url}">{url}</a>' in rendered.html
    assert '<html lang="en">' in rendered.html
    assert "<title>We have received your application RTW-ICT-000123</title>" in rendered.html


def test_the_html_part_is_in_the_message_language() -> None:
    rendered = render("certificate_issued", "cy", values_for("certificate_issued"))

    assert '<html lang="cy">' in rendered.html
    url = CONTEXTS["certificate_issued"]["certificate_url"]
    assert f'<a href="{url}">{url}</a>' in rendered.html
    assert "<title>Mae eich tystysgrif yn barod</title>" in rendered.html


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_the_welsh_message_is_not_the_english_one(template: str) -> None:
    english = render(template, "en", values_for(template))
    welsh = render(template, "cy", values_for(template))

    assert welsh.subject != english.subject
    assert welsh.text != english.text
    assert welsh.text.startswith("Annwyl ")
    assert "Tîm Dychwelyd i'r Gwaith" in welsh.text
    assert "The Return to Work team" not in welsh.text
    assert "Dear " not in welsh.text


def test_an_unknown_language_falls_back_to_english() -> None:
    rendered = render("application_withdrawn", "fr", values_for("application_withdrawn"))

    assert rendered.subject == "You have withdrawn application RTW-ICT-000123"
    assert '<html lang="en">' in rendered.html


def test_programme_titles_are_translated() -> None:
    assert programme_title("ict", "en") == "Return to Work - ICT"
    assert programme_title("ict", "cy") == "Dychwelyd i'r Gwaith - TGCh"
    assert programme_title("social_work", "cy") == "Dychwelyd i Waith Cymdeithasol"
    assert programme_title("planning", "fr") == "Return to Planning"


# ---------------------------------------------------------------------------- links

HOSTILE = (
    "Data analyst https://evil.example/login?x=1 <a href='https://evil.example'>here</a> "
    "www.evil.example HTTP://EVIL.EXAMPLE hthttp://tp://evil.example mailto:help@evil.example "
    "http:\\\\evil.example evil。example"
)
ANY_URL = re.compile(r"(?:https?|ftp)\s*:\s*[/\\]+\S*", re.IGNORECASE)
BARE_HOST = re.compile(r"evil(?:\.|。)example", re.IGNORECASE)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs.extend(value or "" for name, value in attrs if name in ("href", "src", "action"))


def links_of(html: str) -> list[str]:
    """Every href (and src, action) of the HTML part's elements."""
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def hostile(value: Any) -> Any:
    """The value as someone hostile would type it."""
    if isinstance(value, str):
        return f"{value} {HOSTILE}"
    if isinstance(value, list):
        return [hostile(item) for item in value]
    return value


def hostile_values(template: str) -> dict[str, Any]:
    values = values_for(template, name=f"Priya {HOSTILE}")
    return {key: value if key in LINK_VALUES else hostile(value) for key, value in values.items()}


def assert_links_only_to_the_platform(part: str) -> None:
    for url in ANY_URL.findall(part):
        assert url.startswith(PORTAL + "/") or url == PORTAL, f"a link outside the platform: {url}"
    assert not BARE_HOST.search(part), "a bare domain a mail client would link"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_every_template_links_only_to_the_platform_whatever_people_typed(
    template: str, language: str
) -> None:
    rendered = render(template, language, hostile_values(template))

    for part in (rendered.subject, rendered.text, rendered.html):
        assert_links_only_to_the_platform(part)
    hrefs = links_of(rendered.html)
    assert all(href.startswith(PORTAL + "/") for href in hrefs), hrefs


def test_the_typed_text_is_still_readable() -> None:
    rendered = render(
        "vacancy_alert", "en", {**values_for("vacancy_alert"), "vacancy": "See www.evil.example/jobs"}
    )

    assert "See www[.]evil[.]example/jobs" in rendered.subject
    assert "See www[.]evil[.]example/jobs" in rendered.text


@pytest.mark.parametrize(
    ("template", "key"),
    [
        ("sign_in_link", "link"),
        ("certificate_issued", "certificate_url"),
        ("vacancy_alert", "unsubscribe_url"),
    ],
)
def test_a_link_value_outside_the_platform_is_refused(template: str, key: str) -> None:
    values = {**values_for(template), key: "https://evil.example/sign-in/abc"}

    with pytest.raises(ForeignLink):
        render(template, "en", values)


def test_a_look_alike_of_the_platform_is_not_the_platform() -> None:
    values = {**values_for("sign_in_link"), "link": f"{PORTAL}.evil.example/sign-in/abc"}

    with pytest.raises(ForeignLink):
        render("sign_in_link", "en", values)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Data analyst (returner)", "Data analyst (returner)"),
        ("Your career break is shorter than 2 years.", "Your career break is shorter than 2 years."),
        ("Apply at https://evil.example/x", "Apply at evil[.]example/x"),
        ("bob@evil.example", "bob@evil[.]example"),
        ("Version 1.2 of J. Smith's notes", "Version 1.2 of J. Smith's notes"),
    ],
)
def test_defanging_keeps_ordinary_text(typed: str, shown: str) -> None:
    assert defang(typed) == shown
